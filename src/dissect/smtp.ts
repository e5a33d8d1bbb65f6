import type { AppDissector } from "./context.js";

/**
 * SMTP (RFC 5321) on the submission and relay ports: the server's 220 greeting that names
 * SMTP, or the client's EHLO/HELO. Malware spreads and exfiltrates by mail; a camera or PLC
 * has no reason to send it except alarm mail to a site's own relay.
 */
function isSmtp(b: Buffer, off: number, len: number): boolean {
  if (len < 6) return false;
  const head = b.toString("latin1", off, off + Math.min(len, 256));
  if (/^220[ -]/.test(head)) return /SMTP|mail/i.test(head);
  return /^(EHLO|HELO) \S/i.test(head);
}

export const smtp: AppDissector = {
  name: "smtp",
  transport: "tcp",
  ports: [25, 587, 2525],
  dissect: (b, off, len) => isSmtp(b, off, len),
};
