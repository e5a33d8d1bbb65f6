import type { ZeekLogHandler } from "./context.js";
import { count, one, zeekIntervalUs, zeekTimeUs } from "./format.js";

const PROTO: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmp6: 58 };

/** Zeek's service names where Cordon's protocol names differ. */
const SERVICE: Record<string, string> = { ssl: "tls", "dce_rpc": "dcerpc", "krb": "kerberos", "krb_tcp": "kerberos" };

/**
 * conn.log: one bidirectional connection per line, originator first; packets and IP-layer
 * bytes each way; MACs when Zeek's mac-logging policy adds orig_l2_addr/resp_l2_addr.
 */
export const conn: ZeekLogHandler = (r, ctx) => {
  const src = one(r, "id.orig_h");
  const dst = one(r, "id.resp_h");
  const ts = zeekTimeUs(one(r, "ts"));
  if (!src || !dst || Number.isNaN(ts)) return "zeek.conn.incomplete";
  const protoName = one(r, "proto") ?? "";
  const service = one(r, "service")?.split(",")[0];
  const app = service ? (SERVICE[service] ?? service) : undefined;
  ctx.flow({
    site: ctx.site,
    source: ctx.source,
    vlan: count(r, "vlan"),
    proto: PROTO[protoName] ?? 0,
    srcMac: one(r, "orig_l2_addr")?.toLowerCase(),
    srcIp: src,
    srcPort: count(r, "id.orig_p"),
    dstMac: one(r, "resp_l2_addr")?.toLowerCase(),
    dstIp: dst,
    dstPort: count(r, "id.resp_p"),
    initiatorKnown: true,
    packetsSrcToDst: count(r, "orig_pkts"),
    bytesSrcToDst: count(r, "orig_ip_bytes"),
    packetsDstToSrc: count(r, "resp_pkts"),
    bytesDstToSrc: count(r, "resp_ip_bytes"),
    firstUs: ts,
    lastUs: ts + zeekIntervalUs(one(r, "duration")),
    tcpFlagsSrc: 0,
    tcpFlagsDst: 0,
    appProtocol: app,
    appConfidence: app ? "dpi" : undefined,
    endReason: `zeek:${one(r, "conn_state") ?? "-"}`,
  });
  return undefined;
};
