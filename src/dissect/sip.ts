import type { AppDissector, DissectContext } from "./context.js";
import { headerLines } from "./http-headers.js";

const REQUEST = /^(REGISTER|INVITE|ACK|BYE|CANCEL|OPTIONS|SUBSCRIBE|NOTIFY|REFER|INFO|MESSAGE|UPDATE|PRACK|PUBLISH) sips?:\S+ SIP\/2\.0/;

function dissectSip(b: Buffer, off: number, len: number, ctx: DissectContext): boolean {
  if (len < 12) return false;
  const [start, h] = headerLines(b, off, len);
  const request = REQUEST.test(start);
  if (!request && !start.startsWith("SIP/2.0 ")) return false;
  const ua = h.get("USER-AGENT");
  if (ua) ctx.emit("sip.user_agent", "src", ua);
  const server = h.get("SERVER");
  if (server) ctx.emit("sip.server", "src", server);
  return true;
}

/** SIP (RFC 3261): phones' and PBXs' User-Agent and Server headers. */
export const sipUdp: AppDissector = { name: "sip", transport: "udp", ports: [5060], everyPacket: true, dissect: dissectSip };
export const sipTcp: AppDissector = { name: "sip", transport: "tcp", ports: [5060], dissect: dissectSip };
