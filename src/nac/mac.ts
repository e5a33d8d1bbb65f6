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

/** The MAC in canonical form ("aa:bb:cc:dd:ee:ff"), or undefined when `s` is none of the spellings. */
export function canonicalMac(s: string): string | undefined {
  const t = s.trim();
  if (t.length < 12 || t.length > 17) return undefined;
  for (const { re } of SPELLINGS) {
    if (re.test(t)) {
      const hex = t.replace(/[^0-9a-fA-F]/g, "").toLowerCase();
      return hex.match(/../g)!.join(":");
    }
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
