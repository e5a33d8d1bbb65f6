/** Address formatting and tests shared by the dissectors. Pure functions. */

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * Texts of recent addresses. The same few thousand MACs and addresses are written millions of
 * times; handing out one string per address also lets every later map lookup reuse its hash.
 */
const TEXT_CACHE = 65_536;
const macTexts = new Map<number, string>();
const ipv4Texts = new Map<number, string>();

/** A 48-bit MAC held as a number, written lower-case with colons. */
export function macToString(mac: number): string {
  let s = macTexts.get(mac);
  if (s !== undefined) return s;
  const hi = Math.floor(mac / 0x100000000);
  const lo = mac >>> 0;
  s = `${HEX2[(hi >>> 8) & 0xff]}:${HEX2[hi & 0xff]}:${HEX2[lo >>> 24]}:${HEX2[(lo >>> 16) & 0xff]}:${HEX2[(lo >>> 8) & 0xff]}:${HEX2[lo & 0xff]}`;
  if (macTexts.size >= TEXT_CACHE) macTexts.clear();
  macTexts.set(mac, s);
  return s;
}

export function readMac(b: Buffer, off: number): number {
  return b.readUIntBE(off, 6);
}

/** Parses "aa:bb:cc:dd:ee:ff", "aa-bb-...", "aabb.ccdd.eeff" or 12 hex digits. */
export function parseMac(s: string): number | undefined {
  const hex = s.trim().toLowerCase().replace(/[:.-]/g, "");
  if (!/^[0-9a-f]{12}$/.test(hex)) return undefined;
  return parseInt(hex, 16);
}

export function macFromBytes(b: Buffer, off: number): string {
  return macToString(readMac(b, off));
}

/** Group bit: broadcast and multicast destinations are not devices. */
export function isGroupMac(mac: number): boolean {
  return (Math.floor(mac / 0x10000000000) & 0x01) === 1;
}

/** Locally administered bit: randomised (private) MACs and virtual interfaces. */
export function isLocalMac(mac: number): boolean {
  return (Math.floor(mac / 0x10000000000) & 0x02) === 2;
}

/** The OUI (first three bytes) as six upper-case hex digits, as registries key it. */
export function ouiOf(mac: number): string {
  return Math.floor(mac / 0x1000000).toString(16).padStart(6, "0").toUpperCase();
}

export function ipv4ToString(ip: number): string {
  // Keyed by the signed value: an address from 128.0.0.0 up read unsigned is a heap number,
  // which a Map hashes and compares at about twice the cost of a small integer.
  const key = ip | 0;
  let s = ipv4Texts.get(key);
  if (s !== undefined) return s;
  s = `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
  if (ipv4Texts.size >= TEXT_CACHE) ipv4Texts.clear();
  ipv4Texts.set(key, s);
  return s;
}

export function parseIpv4(s: string): number | undefined {
  // Hand-parsed: this runs for every new address on the flow path.
  let value = 0;
  let part = -1;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part < 0 ? c - 48 : part * 10 + (c - 48);
      if (part > 255) return undefined;
    } else if (c === 46 && part >= 0 && dots < 3) {
      value = value * 256 + part;
      part = -1;
      dots++;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || part < 0) return undefined;
  return value * 256 + part;
}

/** RFC 5952 text form: lower case, longest run of zero groups compressed. */
export function ipv6ToString(b: Buffer, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(off + i * 2));
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${g[6] >>> 8}.${g[6] & 0xff}.${g[7] >>> 8}.${g[7] & 0xff}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLen).join(":");
  return `${left}::${right}`;
}

/** Private, loopback, link-local, CGNAT and unique-local ranges: addresses of a site's own hosts. */
export function isPrivateIpv4(ip: number): boolean {
  const a = ip >>> 24;
  const b = (ip >>> 16) & 0xff;
  return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
    || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127) || ip === 0;
}

/** fe80::/10 link-local, fc00::/7 unique-local, loopback and unspecified. */
export function isPrivateIpv6(b: Buffer, off: number): boolean {
  const first = b[off];
  if (first === 0xfe && (b[off + 1] & 0xc0) === 0x80) return true;
  if ((first & 0xfe) === 0xfc) return true;
  for (let i = 0; i < 15; i++) if (b[off + i] !== 0) return false;
  return b[off + 15] <= 1;
}

export function isMulticastIpv6(b: Buffer, off: number): boolean {
  return b[off] === 0xff;
}

/** Text form of an address: true for any address of the site's own range. */
export function isPrivateIp(ip: string): boolean {
  const v4 = parseIpv4(ip);
  if (v4 !== undefined) return isPrivateIpv4(v4);
  const l = ip.toLowerCase();
  return l.startsWith("fe8") || l.startsWith("fe9") || l.startsWith("fea") || l.startsWith("feb")
    || l.startsWith("fc") || l.startsWith("fd") || l === "::1" || l === "::";
}

/**
 * Text form: 127.0.0.0/8, ::1 and the IPv4-mapped loopback: traffic a host sends itself, which
 * names no device on the network. Read from the characters: detection asks it of every flow.
 */
export function isLoopbackIp(ip: string): boolean {
  if (ip.charCodeAt(0) === 0x31) return ip.startsWith("127.");
  return ip === "::1" || ip.startsWith("::ffff:127.");
}

/** Text form: 0.0.0.0 and ::, the address of a host that has none yet. */
export const isUnspecifiedIp = (ip: string): boolean => ip === "0.0.0.0" || ip === "::";

/** Text form: true for broadcast and multicast addresses (they name a group, not a host). */
export function isGroupIp(ip: string): boolean {
  // 224.0.0.0/4 (a first octet of 224 to 239), the limited broadcast, and IPv6 ff00::/8; read
  // from the characters, since flows ask it of both ends.
  const c0 = ip.charCodeAt(0);
  if (c0 === 0x66 || c0 === 0x46) return (ip.charCodeAt(1) | 0x20) === 0x66;
  if (c0 !== 0x32 || ip.charCodeAt(3) !== 0x2e) return false;
  const c1 = ip.charCodeAt(1);
  const c2 = ip.charCodeAt(2);
  if (c1 === 0x32) return c2 >= 0x34 && c2 <= 0x39;
  if (c1 === 0x33) return c2 >= 0x30 && c2 <= 0x39;
  return ip === "255.255.255.255";
}
