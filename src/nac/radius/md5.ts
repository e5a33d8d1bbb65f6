/**
 * MD5 (RFC 1321) and HMAC-MD5 (RFC 2104) for RADIUS's small packets. node:crypto costs a few
 * microseconds per call in object set-up alone, three calls per request; here a shared
 * secret's HMAC pads are hashed once (the "midstate"), and a packet is hashed from its parts
 * (header, authenticator, a zeroed Message-Authenticator, attributes) without copying it.
 * Checked against node:crypto in the tests. MD5 is what RADIUS specifies, not a choice.
 */

const K = new Int32Array(64).map((_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);
const S = new Int32Array([7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]);
const INIT = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476];

const X = new Int32Array(16);

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n));

/** One 64-byte block at `b[o, o+64)` into `h` (four words): the four rounds, each a loop of its own. */
function compress(h: Int32Array, b: Uint8Array, o: number): void {
  for (let i = 0; i < 16; i++, o += 4) X[i] = b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
  let a = h[0];
  let bb = h[1];
  let c = h[2];
  let d = h[3];
  let t: number;
  for (let i = 0; i < 16; i++) {
    t = d;
    d = c;
    c = bb;
    bb = (bb + rotl((a + ((bb & d) | (~bb & t)) + K[i] + X[i]) | 0, S[i])) | 0;
    a = t;
  }
  for (let i = 16; i < 32; i++) {
    t = d;
    d = c;
    c = bb;
    bb = (bb + rotl((a + ((t & bb) | (~t & d)) + K[i] + X[(5 * i + 1) & 15]) | 0, S[i])) | 0;
    a = t;
  }
  for (let i = 32; i < 48; i++) {
    t = d;
    d = c;
    c = bb;
    bb = (bb + rotl((a + (bb ^ d ^ t) + K[i] + X[(3 * i + 5) & 15]) | 0, S[i])) | 0;
    a = t;
  }
  for (let i = 48; i < 64; i++) {
    t = d;
    d = c;
    c = bb;
    bb = (bb + rotl((a + (d ^ (bb | ~t)) + K[i] + X[(7 * i) & 15]) | 0, S[i])) | 0;
    a = t;
  }
  h[0] = (h[0] + a) | 0;
  h[1] = (h[1] + bb) | 0;
  h[2] = (h[2] + c) | 0;
  h[3] = (h[3] + d) | 0;
}

export class Md5 {
  private readonly h = new Int32Array(4);
  private readonly block = new Uint8Array(64);
  private used = 0;
  private length = 0;

  /** A fresh hash, or one resumed from a midstate after `length` bytes (a multiple of 64). */
  constructor(state: ArrayLike<number> = INIT, length = 0) {
    this.reset(state, length);
  }

  /** Starts over (from a midstate when given), so a hash object can be used again. */
  reset(state: ArrayLike<number> = INIT, length = 0): this {
    this.h.set(state);
    this.length = length;
    this.used = 0;
    return this;
  }

  update(b: Uint8Array, start = 0, end = b.length): this {
    let i = start;
    this.length += end - start;
    if (this.used > 0) {
      while (i < end && this.used < 64) this.block[this.used++] = b[i++];
      if (this.used < 64) return this;
      compress(this.h, this.block, 0);
      this.used = 0;
    }
    for (; i + 64 <= end; i += 64) compress(this.h, b, i);
    while (i < end) this.block[this.used++] = b[i++];
    return this;
  }

  /** `n` zero bytes (a Message-Authenticator's place while it is computed). */
  zeros(n: number): this {
    this.length += n;
    for (let k = 0; k < n; k++) {
      this.block[this.used++] = 0;
      if (this.used === 64) {
        compress(this.h, this.block, 0);
        this.used = 0;
      }
    }
    return this;
  }

  /** The state words (a midstate when the length so far is a multiple of 64). */
  state(): Int32Array {
    return Int32Array.from(this.h);
  }

  /** Writes the 16-byte digest at `out[offset]`; the hash is finished after this. */
  digestInto(out: Uint8Array, offset = 0): Uint8Array {
    const bits = this.length * 8;
    this.block[this.used++] = 0x80;
    if (this.used > 56) {
      this.block.fill(0, this.used);
      compress(this.h, this.block, 0);
      this.used = 0;
    }
    this.block.fill(0, this.used, 56);
    for (let k = 0; k < 4; k++) this.block[56 + k] = (bits >>> (8 * k)) & 0xff;
    const hi = Math.floor(bits / 2 ** 32);
    for (let k = 0; k < 4; k++) this.block[60 + k] = (hi >>> (8 * k)) & 0xff;
    compress(this.h, this.block, 0);
    for (let w = 0; w < 4; w++) for (let k = 0; k < 4; k++) out[offset + w * 4 + k] = (this.h[w] >>> (8 * k)) & 0xff;
    return out;
  }

  digest(): Buffer {
    const out = Buffer.allocUnsafe(16);
    this.digestInto(out);
    return out;
  }
}

/** A shared secret for HMAC-MD5, its padded key blocks hashed once. */
export class HmacMd5Key {
  private readonly inner: Int32Array;
  private readonly outer: Int32Array;
  private readonly digestBuf = new Uint8Array(16);
  private readonly innerHash = new Md5();
  private readonly outerHash = new Md5();

  constructor(secret: Uint8Array) {
    const key = secret.length > 64 ? new Md5().update(secret).digest() : secret;
    const ipad = new Uint8Array(64).fill(0x36);
    const opad = new Uint8Array(64).fill(0x5c);
    for (let i = 0; i < key.length; i++) {
      ipad[i] ^= key[i];
      opad[i] ^= key[i];
    }
    this.inner = new Md5().update(ipad).state();
    this.outer = new Md5().update(opad).state();
  }

  /** An HMAC in progress (one at a time per key: the hash object is reused): update it with the message, then `finish`. */
  start(): Md5 {
    return this.innerHash.reset(this.inner, 64);
  }

  finish(inner: Md5, out: Uint8Array, offset = 0): Uint8Array {
    inner.digestInto(this.digestBuf);
    return this.outerHash.reset(this.outer, 64).update(this.digestBuf).digestInto(out, offset);
  }
}
