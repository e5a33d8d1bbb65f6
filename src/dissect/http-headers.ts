/** Header lines of an HTTP-like text message, names upper-cased. Bounded. */
export function headerLines(b: Buffer, off: number, len: number, max = 4096): [string, Map<string, string>] {
  const s = b.toString("latin1", off, off + (len < max ? len : max));
  const stop = s.indexOf("\r\n\r\n");
  const lines = (stop >= 0 ? s.slice(0, stop) : s).split(/\r?\n/);
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i].indexOf(":");
    if (c <= 0) continue;
    const name = lines[i].slice(0, c).trim().toUpperCase();
    if (!headers.has(name)) headers.set(name, lines[i].slice(c + 1).replace(/[\x00-\x1f\x7f]/g, "").trim());
  }
  return [lines[0] ?? "", headers];
}
