/**
 * A Node.js UDP socket on loopback that only counts what it receives: the floor under any
 * collector written for Node's dgram. Prints its port, then on SIGTERM the datagrams and bytes
 * it received. Usage: udp-count
 */
import { createSocket } from "node:dgram";

let datagrams = 0;
let bytes = 0;
const socket = createSocket({ type: "udp4", recvBufferSize: 16 << 20 });
socket.on("message", (m) => {
  datagrams++;
  bytes += m.length;
});
socket.bind(0, "127.0.0.1", () => process.stdout.write(`${socket.address().port}\n`));
process.on("SIGTERM", () => {
  process.stdout.write(`${datagrams} ${bytes}\n`);
  socket.close();
});
