import { type Server, type Socket, createServer } from "node:net";
import { IpfixStream } from "../sources/netflow/stream.js";

/**
 * An IPFIX collector's TCP listener (RFC 7011 §10.4), in the thread that owns the sockets.
 * Each connection's bytes are cut into messages and offered to the worker queue; a message
 * the queue refuses waits, and the connection is paused until the queue takes it, so TCP's
 * own flow control slows the exporter and nothing is lost. A stream that cannot be cut into
 * messages is closed. When a connection ends (after its last message went to the queue),
 * `ended` says so: its templates were valid for that session only.
 */
export interface IpfixTcpHandlers {
  /** Whether a connection from this exporter is taken (the source's allow-list). */
  admit(exporter: string): boolean;
  /** Puts a message on the worker queue; false when the queue refuses it for now. */
  offer(exporter: string, message: Buffer): boolean;
  ended(exporter: string): void;
  error(kind: string, exporter: string): void;
}

export interface IpfixTcpListener {
  port: number;
  /** The queue has room again: connections waiting on it go on. */
  drain(): void;
  /** Closes every connection; resolves once what they sent has gone to the queue (at most 10 s). */
  close(): Promise<void>;
}

interface Connection {
  socket: Socket;
  exporter: string;
  waiting: Buffer[];
  closed: boolean;
  lastActiveMs: number;
}

/** Open IPFIX connections at once (past it the one idle longest is closed), and how long one may send nothing. */
export const MAX_CONNECTIONS = 256;
export const IDLE_TIMEOUT_MS = 600_000;

const plainAddress = (a: string | undefined): string => (a ?? "unknown").replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");

export async function listenIpfixTcp(host: string, port: number, h: IpfixTcpHandlers, limits: { maxConnections: number; idleTimeoutMs: number } = { maxConnections: MAX_CONNECTIONS, idleTimeoutMs: IDLE_TIMEOUT_MS }): Promise<IpfixTcpListener> {
  const open = new Set<Connection>();
  const stalled = new Set<Connection>();
  /** Offers what waits; true when nothing waits any more. */
  const flush = (c: Connection): boolean => {
    let i = 0;
    while (i < c.waiting.length && h.offer(c.exporter, c.waiting[i])) i++;
    if (i > 0) c.waiting = c.waiting.slice(i);
    return c.waiting.length === 0;
  };
  const settle = (c: Connection): void => {
    if (flush(c)) {
      stalled.delete(c);
      if (c.closed) {
        open.delete(c);
        h.ended(c.exporter);
      } else c.socket.resume();
    } else {
      stalled.add(c);
      c.socket.pause();
    }
  };
  const server: Server = createServer((socket) => {
    const exporter = plainAddress(socket.remoteAddress);
    if (!h.admit(exporter)) {
      socket.destroy();
      return;
    }
    // Past the cap, the connection idle longest goes: a flood of half-open sessions cannot lock exporters out.
    if (open.size >= limits.maxConnections) {
      let idlest: Connection | undefined;
      for (const o of open) if (!o.closed && (!idlest || o.lastActiveMs < idlest.lastActiveMs)) idlest = o;
      if (idlest) {
        h.error("stream.evicted", idlest.exporter);
        idlest.socket.destroy();
      }
    }
    const c: Connection = { socket, exporter, waiting: [], closed: false, lastActiveMs: Date.now() };
    open.add(c);
    socket.setTimeout(limits.idleTimeoutMs, () => {
      h.error("stream.idle-timeout", exporter);
      socket.destroy();
    });
    const stream = new IpfixStream();
    socket.on("data", (chunk: Buffer) => {
      c.lastActiveMs = Date.now();
      const messages = stream.push(chunk);
      if (typeof messages === "string") {
        h.error(messages, c.exporter);
        socket.destroy();
        return;
      }
      if (messages.length === 0) return;
      c.waiting.push(...messages);
      settle(c);
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      if (stream.held > 0) h.error("stream.truncated", c.exporter);
      c.closed = true;
      settle(c);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    drain: () => {
      for (const c of [...stalled]) settle(c);
    },
    close: async () => {
      for (const c of open) c.socket.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      // Messages already received but still waiting for queue room go in as the worker
      // catches up (bounded: a stuck worker does not hold the stop forever).
      for (let waited = 0; stalled.size > 0 && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    },
  };
}
