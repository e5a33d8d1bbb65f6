import type { ServerResponse } from "node:http";

/** Subscribers at most: past it a new one is refused (503), the others keep theirs. */
const MAX_SUBSCRIBERS = 100;
/** A comment line this often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;
/** A subscriber that has this much unsent is too slow and is let go (bounded memory). */
const MAX_BUFFERED = 1 << 20;

/**
 * Server-sent events for the console (GET /api/events): new alerts, responses waiting for a
 * person, devices saved. Each event is `event: KIND` and one line of JSON; a subscriber that
 * cannot keep up is closed rather than buffered without bound.
 */
export class EventHub {
  private readonly subscribers = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor() {
    this.heartbeat = setInterval(() => this.write(": heartbeat\n\n"), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Takes a response as a stream; false when there are too many already. */
  subscribe(res: ServerResponse): boolean {
    if (this.subscribers.size >= MAX_SUBSCRIBERS) return false;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", "x-content-type-options": "nosniff", connection: "keep-alive" });
    res.write(": cordon events\n\n");
    this.subscribers.add(res);
    res.on("close", () => this.subscribers.delete(res));
    return true;
  }

  publish(kind: string, data: unknown): void {
    if (this.subscribers.size > 0) this.write(`event: ${kind}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  get size(): number {
    return this.subscribers.size;
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const res of this.subscribers) res.end();
    this.subscribers.clear();
  }

  private write(text: string): void {
    for (const res of this.subscribers) {
      if (res.writableLength > MAX_BUFFERED) {
        res.destroy();
        this.subscribers.delete(res);
      } else res.write(text);
    }
  }
}
