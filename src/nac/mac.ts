/**
 * MAC addresses as switches spell them in MAB requests (User-Name, Calling-Station-Id):
 * Cisco "aabb.ccdd.eeff", IETF "AA-BB-CC-DD-EE-FF", colons, bare hex, HPE "aabbcc-ddeeff",
 * H3C "aabb-ccdd-eeff", in either case. Pure.
 */

const SPELLINGS: { name: MacSpelling; re: RegExp }[] = [
  { name: "colon", re: /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i },
  { name: "hyphen", re: /^[0-9a-f]{2}(-[0-9a-f]{2}){5}$/i },
  { name: "dotted", re: /^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i },
  { name: "bare", re: /^[0-9a-f]{12}$/i },
  { name: "half", re: /^[0-9a-f]{6}-[0-9a-f]{6}$/i },
  { name: "quad", re: /^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$/i },
];

export type MacSpelling = "colon" | "hyphen" | "dotted" | "bare" | "half" | "quad";

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

/** Which spelling `s` uses, and whether upper case, so a reply can write a MAC as the NAS does. */
export function spellingOf(s: string): { spelling: MacSpelling; upper: boolean } | undefined {
  const t = s.trim();
  for (const { name, re } of SPELLINGS) if (re.test(t)) return { spelling: name, upper: /[A-F]/.test(t) };
  return undefined;
}

/** A canonical MAC written in the given spelling. */
export function spellMac(mac: string, spelling: MacSpelling, upper = false): string {
  const hex = mac.replace(/:/g, "");
  const pairs = hex.match(/../g)!;
  let out: string;
  switch (spelling) {
    case "colon": out = pairs.join(":"); break;
    case "hyphen": out = pairs.join("-"); break;
    case "dotted": out = `${hex.slice(0, 4)}.${hex.slice(4, 8)}.${hex.slice(8)}`; break;
    case "bare": out = hex; break;
    case "half": out = `${hex.slice(0, 6)}-${hex.slice(6)}`; break;
    case "quad": out = `${hex.slice(0, 4)}-${hex.slice(4, 8)}-${hex.slice(8)}`; break;
  }
  return upper ? out.toUpperCase() : out;
}
