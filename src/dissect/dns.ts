import type { AppDissector, DissectContext } from "./context.js";
import { DnsError, parseDnsMessage } from "./dns-message.js";
import { formatDnsAnswer } from "../model/dns-answer.js";

/** Unicast DNS over UDP and TCP (RFC 1035): who asks for what, and what they are told. */
function dissectDns(b: Buffer, off: number, len: number, ctx: DissectContext): boolean {
  let msg;
  try {
    msg = parseDnsMessage(b, off, len);
  } catch (e) {
    if (e instanceof DnsError) {
      ctx.error(`dns.${e.kind}`);
      return false;
    }
    throw e;
  }
  if (msg.opcode !== 0 && msg.opcode !== 5) return false;
  if (!msg.response) {
    for (const q of msg.questions) ctx.emit("dns.query", "src", q.name.toLowerCase());
    return true;
  }
  ctx.emit("dns.server", "src", "dns");
  for (const r of msg.records) {
    if (r.section !== "answer" || r.data === "") continue;
    if (r.type === 1 || r.type === 28 || r.type === 5) {
      ctx.emit("dns.answer", "dst", formatDnsAnswer({ name: r.name, type: r.type === 1 ? "A" : r.type === 28 ? "AAAA" : "CNAME", data: r.data }));
    }
  }
  return true;
}

/** A header that could be DNS: sane counts and a known opcode. */
function looksLikeDns(b: Buffer, off: number, len: number): boolean {
  if (len < 12) return false;
  const opcode = (b[off + 2] >> 3) & 0x0f;
  const qd = b.readUInt16BE(off + 4);
  return (opcode === 0 || opcode === 5) && qd >= 1 && qd <= 4 && b.readUInt16BE(off + 6) < 128;
}

export const dnsUdp: AppDissector = {
  name: "dns",
  transport: "udp",
  ports: [53],
  everyPacket: true,
  dissect(b, off, len, ctx) {
    if (!looksLikeDns(b, off, len)) return false;
    return dissectDns(b, off, len, ctx);
  },
};

/** DNS over TCP: each message is preceded by a two-byte length. */
export const dnsTcp: AppDissector = {
  name: "dns",
  transport: "tcp",
  ports: [53],
  everyPacket: true,
  dissect(b, off, len, ctx) {
    if (len < 14) return len === 0;
    const mlen = b.readUInt16BE(off);
    if (mlen < 12) return false;
    // Only messages that start in this segment are read; the rest of a long one is skipped.
    if (mlen > len - 2) return looksLikeDns(b, off + 2, len - 2);
    if (!looksLikeDns(b, off + 2, mlen)) return false;
    return dissectDns(b, off + 2, mlen, ctx);
  },
};
