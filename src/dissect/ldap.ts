import type { AppDissector } from "./context.js";

/**
 * LDAP (RFC 4511): a BER SEQUENCE of a message id and an operation with an application tag
 * (bind 0x60, search 0x63, unbind 0x42 ...). Directory lookups from a device are rare, and
 * LDAP to an outside host is how Log4Shell fetched its payload, so it is recognised on any port.
 */
function isLdap(b: Buffer, off: number, len: number): boolean {
  if (len < 7 || b[off] !== 0x30) return false;
  let p = off + 1;
  const first = b[p++];
  let length = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n < 1 || n > 4 || p + n > off + len) return false;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + b[p++];
  }
  if (length < 5) return false;
  // Message id: INTEGER of 1 to 4 bytes.
  if (b[p] !== 0x02 || b[p + 1] < 1 || b[p + 1] > 4) return false;
  p += 2 + b[p + 1];
  if (p >= off + len) return false;
  const op = b[p];
  const constructed = op >= 0x60 && op <= 0x79 && op !== 0x62 && op !== 0x6a && op !== 0x70;
  const primitive = op === 0x42 || op === 0x4a || op === 0x50;
  return constructed || primitive;
}

export const ldap: AppDissector = {
  name: "ldap",
  transport: "tcp",
  ports: [389, 3268],
  test: isLdap,
  dissect: (b, off, len) => isLdap(b, off, len),
};
