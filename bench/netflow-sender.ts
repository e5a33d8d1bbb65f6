/**
 * Replays a prepared datagram file (4-byte length, then the datagram, repeated) to a UDP port
 * on loopback at a fixed rate (the datagrams due each millisecond or so, sent together), for the
 * NetFlow and API benchmarks. Prints the number of datagrams sent.
 * Usage: netflow-sender FILE PORT DATAGRAMS_PER_SECOND SECONDS
 */
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";

const [file, portText, rateText, secondsText] = process.argv.slice(2);
const port = Number(portText);
const rate = Number(rateText);
const seconds = Number(secondsText);
const raw = readFileSync(file);
const datagrams: Buffer[] = [];
for (let p = 0; p + 4 <= raw.length;) {
  const n = raw.readUInt32BE(p);
  datagrams.push(raw.subarray(p + 4, p + 4 + n));
  p += 4 + n;
}
const socket = createSocket({ type: "udp4", sendBufferSize: 8 << 20 });
socket.connect(port, "127.0.0.1", () => {
  const start = process.hrtime.bigint();
  let sent = 0;
  const total = Math.round(rate * seconds);
  const tick = (): void => {
    const elapsedS = Number(process.hrtime.bigint() - start) / 1e9;
    const due = Math.min(total, Math.round(elapsedS * rate));
    while (sent < due) {
      socket.send(datagrams[sent % datagrams.length]);
      sent++;
    }
    // A timer, not setImmediate: the exporter is another machine in the field, and a sender
    // that spins for its pacing takes one of the bench machine's cores from the program measured.
    if (sent < total) setTimeout(tick, 1);
    else setTimeout(() => {
      process.stdout.write(`${sent}\n`);
      socket.close();
    }, 200);
  };
  tick();
});
