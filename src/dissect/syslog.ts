import type { AppDissector } from "./context.js";

/**
 * Syslog over UDP (RFC 3164, RFC 5424): every message starts with a priority, "<" one to three
 * digits ">", at most 191 (facility 23, severity 7), without leading zeros.
 */
function isSyslog(b: Buffer, off: number, len: number): boolean {
  if (len < 4 || b[off] !== 0x3c) return false;
  let pri = 0;
  let i = 1;
  for (; i <= 4 && i < len; i++) {
    const c = b[off + i];
    if (c === 0x3e) break;
    if (c < 0x30 || c > 0x39 || i === 4) return false;
    if (i === 2 && pri === 0) return false;
    pri = pri * 10 + (c - 0x30);
  }
  return i > 1 && i < len && b[off + i] === 0x3e && pri <= 191 && i + 1 < len;
}

export const syslog: AppDissector = {
  name: "syslog",
  transport: "udp",
  ports: [514],
  test: isSyslog,
  dissect: (b, off, len) => isSyslog(b, off, len),
};

/**
 * Syslog over TCP (RFC 6587, port 601; TCP 514 is rsh): a message opens with its priority, or
 * with its length in digits and a space when frames are octet-counted.
 */
function isSyslogTcp(b: Buffer, off: number, len: number): boolean {
  let i = 0;
  while (i < 6 && i < len && b[off + i] >= 0x30 && b[off + i] <= 0x39) i++;
  if (i > 0 && (i === 6 || b[off + i] !== 0x20)) return false;
  const start = i === 0 ? 0 : i + 1;
  return isSyslog(b, off + start, len - start);
}

export const syslogTcp: AppDissector = {
  name: "syslog",
  transport: "tcp",
  ports: [601],
  test: isSyslogTcp,
  dissect: (b, off, len) => isSyslogTcp(b, off, len),
};
