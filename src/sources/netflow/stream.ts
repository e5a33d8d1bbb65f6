/**
 * IPFIX over a byte stream (TCP, RFC 7011 §10.4): messages follow one another, each as long
 * as its header says. A header that is not IPFIX, or a length shorter than the header, means
 * the stream can no longer be cut into messages: the session must be closed.
 */
export const IPFIX_HEADER = 16;

export class IpfixStream {
  private pending: Buffer = Buffer.alloc(0);

  /** Bytes held waiting for the rest of their message. */
  get held(): number {
    return this.pending.length;
  }

  /** The whole messages the stream holds after `chunk`, or the defect that ends it. */
  push(chunk: Buffer): Buffer[] | "stream.not-ipfix" | "stream.bad-length" {
    let b = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    while (b.length >= 4) {
      if (b.readUInt16BE(0) !== 10) return "stream.not-ipfix";
      const length = b.readUInt16BE(2);
      if (length < IPFIX_HEADER) return "stream.bad-length";
      if (b.length < length) break;
      out.push(b.subarray(0, length));
      b = b.subarray(length);
    }
    // What is kept must not share memory with a chunk the socket may reuse.
    this.pending = b.length === 0 ? Buffer.alloc(0) : Buffer.from(b);
    return out;
  }
}
