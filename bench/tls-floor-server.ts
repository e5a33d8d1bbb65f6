/**
 * The floor under any EAP-TLS server written for Node.js: a bare node:tls server on loopback
 * TCP that completes a TLS 1.2 handshake asking for a client certificate (checked by OpenSSL
 * against the CA file, read as Cordon reads it, with getPeerX509Certificate) and closes. No
 * RADIUS, no EAP, no decision. Prints its port.
 * Usage: tls-floor-server KEY CERT CA
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:tls";

const [key, cert, ca] = process.argv.slice(2).map((f) => readFileSync(f));
const server = createServer({ key, cert, ca, requestCert: true, rejectUnauthorized: false, minVersion: "TLSv1.2", maxVersion: "TLSv1.2" }, (socket) => {
  socket.getPeerX509Certificate();
  socket.end();
});
server.listen(0, "127.0.0.1", () => {
  const a = server.address();
  process.stdout.write(`${typeof a === "object" && a ? a.port : 0}\n`);
});
process.on("SIGTERM", () => server.close());
