import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { type Socket, createSocket } from "node:dgram";
import { createRequire } from "node:module";
import { haveTool } from "./helpers.js";

/** The real RADIUS peers the NAC tests talk to: radclient (freeradius-utils) and a NAS stand-in built on the `radius` package. */

export const NO_RADCLIENT = haveTool("radclient") ? false : "radclient not installed (run .ci/run, which installs freeradius-utils)";

export interface RadclientReply {
  /** "Access-Accept", "Access-Reject", …, or undefined when no reply came. */
  code?: string;
  attrs: Record<string, string[]>;
  stdout: string;
}

/**
 * Sends one request with radclient (`type`: auth, acct, status, coa, disconnect) and parses
 * the reply it prints: "Received Access-Accept Id …" and then "\tName = value" lines.
 * radclient checks the reply's authenticators itself and prints nothing received when they fail.
 */
export function radclient(port: number, type: string, secret: string, attrs: string[], o: { retries?: number; timeoutS?: number } = {}): Promise<RadclientReply> {
  return new Promise((resolve) => {
    const child = execFile("radclient", ["-x", "-r", String(o.retries ?? 1), "-t", String(o.timeoutS ?? 1), `127.0.0.1:${port}`, type, secret], { timeout: 20_000 }, (_err, stdout) => {
      const out: RadclientReply = { attrs: {}, stdout };
      let inReply = false;
      for (const line of stdout.split("\n")) {
        const m = /^Received (\S+) Id/.exec(line);
        if (m) {
          out.code = m[1];
          inReply = true;
          continue;
        }
        if (/^Sent /.test(line)) inReply = false;
        const a = /^\s+([\w:-]+?)(?::\d+)? = (.*)$/.exec(line);
        if (inReply && a) (out.attrs[a[1]] ??= []).push(a[2].replace(/^"(.*)"$/, "$1"));
      }
      resolve(out);
    });
    child.stdin!.end(`${attrs.join("\n")}\n`);
  });
}

const require = createRequire(import.meta.url);
const radius = require("radius") as {
  decode_without_secret(a: { packet: Buffer }): { code: string; identifier: number; attributes: Record<string, unknown>; raw_attributes: [number, Buffer][] };
  calculate_packet_checksum(packet: Buffer, secret: string): Buffer;
  encode_response(a: { packet: unknown; code: string; secret: string; attributes?: unknown[] }): Buffer;
};

export interface StandInRequest {
  code: string;
  attributes: Record<string, unknown>;
  /** Cisco-AVPair values. */
  avpairs: string[];
  authenticatorOk: boolean;
  messageAuthenticatorOk: boolean | undefined;
  raw: Buffer;
}

/**
 * A NAS stand-in on loopback that receives CoA and Disconnect requests. It checks each
 * request's authenticator with the `radius` package (MD5 over the packet with a zeroed
 * authenticator, then the secret), and the Message-Authenticator as RFC 5176 and FreeRADIUS
 * compute it (HMAC-MD5 with the authenticator zeroed; radclient's requests prove this check
 * right). `answer` decides the reply code and attributes; requests failing a check get none.
 */
export class NasStandIn {
  readonly requests: StandInRequest[] = [];
  private socket!: Socket;
  port = 0;

  constructor(private readonly secret: string, private readonly answer: (r: StandInRequest) => { code: string; attributes?: unknown[] } | undefined) {}

  async start(): Promise<this> {
    this.socket = createSocket("udp4");
    this.socket.on("message", (msg, rinfo) => {
      const p = radius.decode_without_secret({ packet: msg });
      const zeroed = Buffer.from(msg);
      zeroed.fill(0, 4, 20);
      const authenticatorOk = radius.calculate_packet_checksum(zeroed, this.secret).equals(msg.subarray(4, 20));
      let messageAuthenticatorOk: boolean | undefined;
      let o = 20;
      while (o + 2 <= msg.length) {
        if (msg[o] === 80 && msg[o + 1] === 18) {
          const copy = Buffer.from(zeroed);
          copy.fill(0, o + 2, o + 18);
          messageAuthenticatorOk = createHmac("md5", this.secret).update(copy).digest().equals(msg.subarray(o + 2, o + 18));
        }
        o += Math.max(2, msg[o + 1]);
      }
      const avpairs = p.raw_attributes.filter(([t, v]) => t === 26 && v.readUInt32BE(0) === 9).map(([, v]) => v.subarray(6).toString());
      const r: StandInRequest = { code: p.code, attributes: p.attributes, avpairs, authenticatorOk, messageAuthenticatorOk, raw: msg };
      this.requests.push(r);
      if (!authenticatorOk || messageAuthenticatorOk === false) return;
      const a = this.answer(r);
      if (!a) return;
      const reply = radius.encode_response({ packet: p, code: a.code, secret: this.secret, attributes: a.attributes });
      this.socket.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => this.socket.bind(0, "127.0.0.1", () => r()));
    this.port = this.socket.address().port;
    return this;
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * `node radius-peers.js --nas-stand-in SECRET`: the stand-in as a process of its own (for
 * tests that run serve in a network namespace). Prints {"port":N}, then one JSON line per
 * request; ACKs every CoA and Disconnect that passes its checks. Does nothing when the test
 * runner loads this file.
 */
if (process.argv[2] === "--nas-stand-in") {
  const s = await new NasStandIn(process.argv[3], (r) => ({ code: r.code === "CoA-Request" ? "CoA-ACK" : "Disconnect-ACK" })).start();
  process.stdout.write(`${JSON.stringify({ port: s.port })}\n`);
  const original = s.requests.push.bind(s.requests);
  s.requests.push = (...items: StandInRequest[]): number => {
    for (const r of items) process.stdout.write(`${JSON.stringify({ code: r.code, authenticatorOk: r.authenticatorOk, messageAuthenticatorOk: r.messageAuthenticatorOk, avpairs: r.avpairs, attributes: r.attributes })}\n`);
    return original(...items);
  };
}
