import type { ObservationKind } from "../model/observation.js";
import type { DissectContext } from "./context.js";

/**
 * Leaf elements of an XML document that may be cut short (one TCP segment of an HTTP
 * response, one datagram): the text of each `<name>` ... `</name>` asked for (attributes on
 * the opening tag allowed, namespace prefixes ignored), up to eight distinct values per name in
 * document order, entities decoded, control characters (line breaks among them) made spaces,
 * `max` characters kept; an
 * element whose text is longer than `longest`, or that the input cuts off, is not there. No
 * tree is built; linear in the input.
 */
export function xmlLeaves(doc: string, names: readonly string[], max = 128, longest = 512): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const wanted = new Set(names);
  const re = new RegExp(`<(?:[A-Za-z_][\\w.-]{0,31}:)?([A-Za-z_][\\w.-]{0,63})(?:\\s[^<>]{0,256})?>([^<]{1,${longest}})</(?:[A-Za-z_][\\w.-]{0,31}:)?([A-Za-z_][\\w.-]{0,63})>`, "g");
  for (let m = re.exec(doc); m !== null; m = re.exec(doc)) {
    const name = m[1];
    if (name !== m[3] || !wanted.has(name)) continue;
    const value = decodeEntities(m[2]).replace(/[\x00-\x1f\x7f]+/g, " ").trim().slice(0, max);
    if (value === "") continue;
    const list = out.get(name);
    if (list) {
      if (list.length < 8 && !list.includes(value)) list.push(value);
    } else out.set(name, [value]);
  }
  return out;
}

/**
 * The `value` attribute of elements written as `<name value="..." />` (the shape of Edimax's
 * cloud messages): the first of each name asked for, entities decoded, control characters
 * made spaces, `max` characters kept; an empty value is not there. Linear in the input.
 */
export function xmlValueAttributes(doc: string, names: readonly string[], max = 128): Map<string, string> {
  const out = new Map<string, string>();
  const wanted = new Set(names);
  const re = /<([A-Za-z_][\w.-]{0,63})\s+value="([^"<>]{0,512})"/g;
  for (let m = re.exec(doc); m !== null; m = re.exec(doc)) {
    if (!wanted.has(m[1]) || out.has(m[1])) continue;
    const value = decodeEntities(m[2]).replace(/[\x00-\x1f\x7f]+/g, " ").trim().slice(0, max);
    if (value !== "") out.set(m[1], value);
  }
  return out;
}

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] !== "#") return NAMED[e];
    const code = e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return code > 0x1f && code <= 0x10ffff && code !== 0x7f ? String.fromCodePoint(code) : "";
  });
}

/**
 * States, about the packet's source, the first value of each element as the fact kind paired
 * with it; of several elements paired with one kind, the first listed that is there.
 */
export function emitLeaves(doc: string, pairs: readonly (readonly [string, ObservationKind])[], ctx: DissectContext): void {
  const f = xmlLeaves(doc, pairs.map(([name]) => name));
  const done = new Set<ObservationKind>();
  for (const [name, kind] of pairs) {
    const value = f.get(name)?.[0];
    if (value === undefined || done.has(kind)) continue;
    done.add(kind);
    ctx.emit(kind, "src", value);
  }
}
