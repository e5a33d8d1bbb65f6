import { createCipheriv, createHash } from "node:crypto";

/**
 * A Tuya protocol 3.5 discovery beacon: the same JSON, with a return code before it, under
 * AES-128-GCM with the shared discovery key in the 0x6699 frame (the header after the prefix
 * is the associated data). `iv` is the 12-byte nonce a device picks per packet.
 */
export function tuyaBeacon35(ip: string, gwId: string, productKey: string, iv: Buffer): Buffer {
  const clear = Buffer.concat([Buffer.alloc(4), Buffer.from(JSON.stringify({ ip, gwId, active: 2, ablilty: 0, encrypt: true, productKey, version: "3.5", token: true, wf_cfg: true }))]);
  const head = Buffer.alloc(18);
  head.writeUInt32BE(0x00006699, 0);
  head.writeUInt32BE(1, 6);
  head.writeUInt32BE(0x13, 10);
  head.writeUInt32BE(iv.length + clear.length + 16, 14);
  const c = createCipheriv("aes-128-gcm", createHash("md5").update("yGAdlopoPVldABfn").digest(), iv);
  c.setAAD(head.subarray(4));
  const body = Buffer.concat([c.update(clear), c.final()]);
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(0x00009966, 0);
  return Buffer.concat([head, iv, body, c.getAuthTag(), tail]);
}
