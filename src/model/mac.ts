/**
 * MAC addresses as switches spell them in MAB requests (User-Name, Calling-Station-Id):
 * Cisco "aabb.ccdd.eeff", IETF "AA-BB-CC-DD-EE-FF", colons, bare hex, HPE "aabbcc-ddeeff",
 * H3C "aabb-ccdd-eeff", in either case. Pure. (Replies name a MAC as the NAS spelled it, kept
 * from its requests, so no spelling is written here.)
 */

/** Where each spelling puts its separators, by length: every other position is a hex digit. */
const SEPARATORS: Record<number, { at: number[]; chars: string }[]> = {
  12: [{ at: [], chars: "" }],
  13: [{ at: [6], chars: "-" }],
  14: [{ at: [4, 9], chars: "." }, { at: [4, 9], chars: "-" }],
  17: [{ at: [2, 5, 8, 11, 14], chars: ":" }, { at: [2, 5, 8, 11, 14], chars: "-" }],
};
const HEX_DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_DIGIT["0123456789abcdef".charCodeAt(i)] = i;
  HEX_DIGIT["0123456789ABCDEF".charCodeAt(i)] = i;
}
const LOWER = "0123456789abcdef";

/**
 * The MAC in canonical form ("aa:bb:cc:dd:ee:ff"), or undefined when `s` is none of the
 * spellings. Read character by character: it runs on every RADIUS request.
 */
export function canonicalMac(s: string): string | undefined {
  const t = s.length > 17 || s.charCodeAt(0) <= 32 || s.charCodeAt(s.length - 1) <= 32 ? s.trim() : s;
  const layouts = SEPARATORS[t.length];
  if (!layouts) return undefined;
  for (const { at, chars } of layouts) {
    let out = "";
    let digits = 0;
    let ok = true;
    for (let i = 0; i < t.length && ok; i++) {
      const c = t.charCodeAt(i);
      if (at.includes(i)) {
        ok = t[i] === chars;
        continue;
      }
      const v = c < 128 ? HEX_DIGIT[c] : -1;
      if (v < 0) ok = false;
      else {
        if (digits > 0 && digits % 2 === 0) out += ":";
        out += LOWER[v];
        digits++;
      }
    }
    if (ok && digits === 12) return out;
  }
  return undefined;
}
