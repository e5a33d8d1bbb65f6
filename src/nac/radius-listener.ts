import { type Socket, createSocket } from "node:dgram";
import { isIPv6 } from "node:net";
import type { RadiusServer } from "./radius-server.js";

export interface RadiusListener {
  authPort: number;
  acctPort: number;
  close(): Promise<void>;
}

/**
 * Binds the RADIUS server to its UDP ports (authentication and accounting). A reply goes
 * back to the address and port the request came from; a failed send is counted, not thrown.
 * Replies only ever go to the address a request came from, never a name, so the sockets'
 * lookup hands the address straight back and a reply is sent at once (the default lookup
 * defers every send to the next tick, even for an address).
 */
export async function listenRadius(server: RadiusServer, o: { host: string; authPort: number; acctPort: number }, onError: (e: Error) => void): Promise<RadiusListener> {
  const bind = async (port: number, service: "auth" | "acct"): Promise<Socket> => {
    const family = isIPv6(o.host) ? 6 : 4;
    const socket = createSocket({ type: family === 6 ? "udp6" : "udp4", recvBufferSize: 8 << 20, sendBufferSize: 8 << 20, lookup: (address, _options, callback) => callback(null, address, family) });
    socket.on("message", (msg, rinfo) => {
      const reply = server.handle(msg, rinfo.address, rinfo.port, service);
      if (reply instanceof Promise) {
        // EAP-TLS rounds are answered when TLS has worked; a failure is counted, the request left unanswered.
        reply.then((r) => r && socket.send(r, rinfo.port, rinfo.address), (e: Error) => {
          server.stats.drops["eap-error"] = (server.stats.drops["eap-error"] ?? 0) + 1;
          onError(e);
        });
      } else if (reply) {
        // No callback per reply: a failed send reaches the socket's error handler.
        socket.send(reply, rinfo.port, rinfo.address);
      }
    });
    socket.on("error", (e) => {
      server.stats.drops["socket-error"] = (server.stats.drops["socket-error"] ?? 0) + 1;
      onError(e);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, o.host, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    return socket;
  };
  const auth = await bind(o.authPort, "auth");
  let acct: Socket;
  try {
    acct = await bind(o.acctPort, "acct");
  } catch (e) {
    auth.close();
    throw e;
  }
  return {
    authPort: auth.address().port,
    acctPort: acct.address().port,
    close: async () => {
      await Promise.all([auth, acct].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
