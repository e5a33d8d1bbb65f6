/** A DNS answer a device received: the name asked, the record type and its data (an address, a name). */
export interface DnsAnswer {
  name: string;
  type: "A" | "AAAA" | "CNAME";
  data: string;
}

const TYPES = new Set<string>(["A", "AAAA", "CNAME"]);

/** The `dns.answer` fact value: "name TYPE data", name and data in lower case. */
export function formatDnsAnswer(a: DnsAnswer): string {
  return `${a.name.toLowerCase()} ${a.type} ${a.data.toLowerCase()}`;
}

/** A `dns.answer` fact value read back; undefined for a value not of that form (stored by hand, or damaged). */
export function parseDnsAnswer(value: string): DnsAnswer | undefined {
  const first = value.indexOf(" ");
  const second = value.indexOf(" ", first + 1);
  if (first <= 0 || second <= first + 1 || second === value.length - 1) return undefined;
  const type = value.slice(first + 1, second);
  if (!TYPES.has(type)) return undefined;
  return { name: value.slice(0, first), type: type as DnsAnswer["type"], data: value.slice(second + 1) };
}
