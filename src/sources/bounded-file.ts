import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/**
 * A whole file as UTF-8 text, refused unread when it is larger than `max` bytes: the files
 * people hand Cordon (advisories, device lists, CMDB exports) are read within a bound. Errors
 * (no such file, too large) say what happened, without the path: the caller names the file.
 */
export function readTextBounded(path: string, max: number): string {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size > max) throw new Error(`larger than ${max / 1024 / 1024} MiB`);
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString("utf8");
  } finally {
    closeSync(fd);
  }
}
