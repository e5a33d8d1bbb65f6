import { type Socket, createSocket } from "node:dgram";
import { isIPv6 } from "node:net";
import type { NetflowCollector } from "./collector.js";

export interface NetflowListener {
  /** The bound UDP port (useful when 0 asked the kernel for one). */
  port: number;
  close(): Promise<void>;
}

/**
 * A UDP socket feeding the collector: each datagram is decoded as it arrives, with the
 * sender's address as the exporter. Held data and stale templates expire once a second.
 */
export function listenNetflow(collector: NetflowCollector, port: number, host = "127.0.0.1", receiveBufferBytes = 8 << 20): Promise<NetflowListener> {
  return new Promise((resolve, reject) => {
    const socket: Socket = createSocket({ type: isIPv6(host) ? "udp6" : "udp4", recvBufferSize: receiveBufferBytes });
    socket.on("message", (msg, rinfo) => collector.receive(msg, rinfo.address, Date.now()));
    socket.once("error", reject);
    socket.bind(port, host, () => {
      socket.off("error", reject);
      socket.on("error", () => undefined);
      const timer = setInterval(() => collector.expire(Date.now()), 1000);
      timer.unref();
      resolve({
        port: socket.address().port,
        close: () => new Promise((done) => {
          clearInterval(timer);
          socket.close(() => done());
        }),
      });
    });
  });
}
