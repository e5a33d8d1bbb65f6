import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { connect } from "node:tls";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Actor } from "../src/app/actor.js";
import { createAuthority, createEnrollToken, enroll, openAuthority } from "../src/app/certificates.js";
import { checkCsr, issueCertificate } from "../src/pki/certificate.js";
import { SERVER_PROFILE } from "../src/pki/profiles.js";
import { x509 } from "../src/pki/x509.js";
import { Store } from "../src/store/store.js";
import { stopChild, writeFreeradiusConf } from "./freeradius.js";
import { cpuSeconds, haveCommand, median } from "./measure.js";

/**
 * Certificate identity's speed, in the same run:
 * - EAP-TLS full handshakes per second and server CPU per authentication: `cordon serve`
 *   (its RADIUS server with the CA open) and FreeRADIUS's eap/tls module, the same CA, device
 *   certificates (ECDSA P-256) and server certificate type, the same `eapol_test` load
 *   (BENCH_EAP_PARALLEL processes, each one full handshake, no resumption), TLS 1.2 on both
 *   (FreeRADIUS's default maximum). CPU from /proc (all threads), as the MAB bench reads it.
 * - The floor of the platform: a bare node:tls server (bench/tls-floor-server.ts) doing the same
 *   TLS 1.2 handshake with the same certificates over loopback TCP, no RADIUS or EAP: its CPU
 *   per handshake is what any EAP-TLS server on Node's TLS pays before its own work.
 * - EST simpleenroll per second against `cordon serve` over HTTPS, each with a fresh token
 *   and a fresh P-256 key, BENCH_EST_PARALLEL at once, and serve's CPU per enrollment.
 */

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..", "..");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const OUT = join(ROOT, "bench", "out", "eap-tls");
const PASS = "bench passphrase for the CA";
const SECRET = "bench-eap-secret";
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const AUTHS = Number(process.env.BENCH_EAP_AUTHS ?? 200);
const PARALLEL = Number(process.env.BENCH_EAP_PARALLEL ?? 4);
const ENROLLS = Number(process.env.BENCH_EST_ENROLLS ?? 200);
const EST_PARALLEL = Number(process.env.BENCH_EST_PARALLEL ?? 8);
const DEVICES = 8;
const by: Actor = { principal: "bench", name: "bench", via: "cli" };
const mac = (i: number): string => `02:00:00:00:01:${i.toString(16).padStart(2, "0")}`;

/** The CA, device certificates and keys, a server certificate for FreeRADIUS: files in OUT. */
async function prepare(): Promise<string> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const db = join(OUT, "cordon.db");
  const store = new Store(db);
  try {
    await createAuthority(store, by, { organisation: "Bench Clinic", algorithm: "ecdsa-p256", passphrase: PASS });
    const authority = await openAuthority(store, PASS);
    writeFileSync(join(OUT, "chain.pem"), authority.chainPem());
    const key = (name: string): Buffer => {
      execFileSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=x", "-keyout", join(OUT, `${name}.key`), "-outform", "DER", "-out", join(OUT, `${name}.csr`)], { stdio: "ignore" });
      return readFileSync(join(OUT, `${name}.csr`));
    };
    for (let i = 0; i < DEVICES; i++) {
      const { token } = createEnrollToken(store, by, { site: "main", mac: mac(i) });
      const issued = await enroll(store, authority, { site: "main", csr: key(`dev${i}`), credential: { kind: "token", token }, mode: "enroll", via: "est" });
      writeFileSync(join(OUT, `dev${i}.pem`), issued.certificate.toString("pem"));
      writeFileSync(join(OUT, `dev${i}.conf`), `network={\n key_mgmt=IEEE8021X\n eap=TLS\n identity="dev${i}"\n ca_cert="${join(OUT, "chain.pem")}"\n client_cert="${join(OUT, `dev${i}.pem`)}"\n private_key="${join(OUT, `dev${i}.key`)}"\n eapol_flags=0\n phase1="tls_disable_tlsv1_3=1"\n}\n`);
    }
    const csr = await checkCsr(key("server"));
    const server = await issueCertificate(authority.signer, csr.publicKey, { mac: "", commonName: "radius.bench", dnsNames: ["radius.bench"], organisation: "Bench Clinic", site: "main" }, { profile: SERVER_PROFILE, now: new Date() });
    writeFileSync(join(OUT, "server.pem"), `${server.toString("pem")}\n${authority.chain[0].toString("pem")}\n`);
    // Tokens and keys for the EST run, made now so that run measures only enrollment.
    const tokens: string[] = [];
    for (let i = 0; i < ENROLLS * RUNS; i++) tokens.push(createEnrollToken(store, by, { site: "main", mac: `02:00:00:02:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`, hours: 24 }).token);
    writeFileSync(join(OUT, "tokens.json"), JSON.stringify(tokens));
  } finally {
    store.close();
  }
  writeFileSync(join(OUT, "passphrase"), `${PASS}\n`);
  return db;
}

interface EapResult {
  perSecond: number;
  cpuUsPerAuth: number;
  /** The same with what the server spends idle over the same time taken out (serve's worker and reader keep timers). */
  busyUsPerAuth: number;
  failed: number;
}

/** CPU seconds per second a process spends with no load, over `seconds`. */
async function idleRate(pid: number, seconds = 3): Promise<number> {
  const c0 = cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return (cpuSeconds(pid) - c0) / seconds;
}

function eapolTest(port: number, i: number): Promise<boolean> {
  return new Promise((res) => execFile("eapol_test", ["-c", join(OUT, `dev${i % DEVICES}.conf`), "-a", "127.0.0.1", "-p", String(port), "-s", SECRET, "-M", mac(i % DEVICES), "-t", "10"],
    { timeout: 30_000 }, (e) => res(!e)));
}

/** AUTHS full handshakes, PARALLEL eapol_test processes at a time; the server's CPU from /proc. */
async function eapLoad(port: number, pid: number): Promise<EapResult> {
  for (let i = 0; i < 4; i++) await eapolTest(port, i);
  const idle = await idleRate(pid);
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  let next = 0;
  let failed = 0;
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < AUTHS) if (!(await eapolTest(port, next++))) failed++;
  }));
  const wallS = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  return { perSecond: AUTHS / wallS, cpuUsPerAuth: (cpu * 1e6) / AUTHS, busyUsPerAuth: (Math.max(0, cpu - idle * wallS) * 1e6) / AUTHS, failed };
}

function waitLog(child: ChildProcess, msg: string): Promise<Record<string, unknown>> {
  return new Promise((resolveLine, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`serve did not log "${msg}"`)), 30_000);
    child.stdout!.on("data", (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const l of lines) {
        if (!l.startsWith("{")) continue;
        const j = JSON.parse(l) as Record<string, unknown>;
        if (j.msg === msg) {
          clearTimeout(timer);
          resolveLine(j);
        }
      }
    });
  });
}


async function runCordon(db: string): Promise<{ eap: EapResult; est: { perSecond: number; cpuUsPerEnroll: number; failed: number } }> {
  writeFileSync(join(OUT, "serve.yaml"), `db: ${db}
site: main
log_level: info
nac:
  host: 127.0.0.1
  auth_port: 19832
  acct_port: 19833
  vlans: { onboarding: "30", quarantine: "666" }
  nas:
    - { name: bench, address: 127.0.0.1, secret: ${SECRET}, rate_limit: 100000 }
pki:
  passphrase_file: ${join(OUT, "passphrase")}
  names: [localhost]
  site: main
  est: { host: 127.0.0.1, port: 19843 }
`);
  const child = spawn(process.execPath, [CLI, "serve", "--config", join(OUT, "serve.yaml"), "--http-port", "0"], { stdio: ["ignore", "pipe", "ignore"] });
  try {
    await waitLog(child, "EST listener bound (/.well-known/est, /scep, /pki/crl)");
    const eap = await eapLoad(19832, child.pid!);
    const est = await estLoad(19843, child.pid!);
    return { eap, est };
  } finally {
    await stopChild(child);
  }
}

let tokenAt = 0;
/** ENROLLS simpleenrolls, EST_PARALLEL at a time, each with its own token and key. */
async function estLoad(port: number, pid: number): Promise<{ perSecond: number; cpuUsPerEnroll: number; failed: number }> {
  const tokens = JSON.parse(readFileSync(join(OUT, "tokens.json"), "utf8")) as string[];
  const ca = readFileSync(join(OUT, "chain.pem"));
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const bodies: string[] = [];
  for (let i = 0; i < ENROLLS; i++) {
    const keys = (await crypto.subtle.generateKey(alg, false, ["sign", "verify"])) as CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: "CN=bench", keys, signingAlgorithm: alg });
    bodies.push(Buffer.from(csr.rawData).toString("base64"));
  }
  const post = (body: string, token: string): Promise<number> => new Promise((res) => {
    const r = request({ host: "127.0.0.1", port, path: "/.well-known/est/simpleenroll", method: "POST", ca, servername: "localhost",
      headers: { "content-type": "application/pkcs10", authorization: `Basic ${Buffer.from(`bench:${token}`).toString("base64")}` } }, (resp) => {
      resp.resume();
      resp.on("end", () => res(resp.statusCode ?? 0));
    });
    r.on("error", () => res(0));
    r.end(body);
  });
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  let next = 0;
  let failed = 0;
  await Promise.all(Array.from({ length: EST_PARALLEL }, async () => {
    while (next < ENROLLS) {
      const i = next++;
      if ((await post(bodies[i], tokens[tokenAt++])) !== 200) failed++;
    }
  }));
  const wallS = (performance.now() - t0) / 1000;
  return { perSecond: ENROLLS / wallS, cpuUsPerEnroll: ((cpuSeconds(pid) - cpu0) * 1e6) / ENROLLS, failed };
}

async function runFreeradius(): Promise<EapResult> {
  const dir = join(OUT, "freeradius");
  const port = 19852;
  writeFreeradiusConf(dir, {
    port, secret: SECRET,
    modules: `	eap {
		default_eap_type = tls
		timer_expire = 60
		max_sessions = 4096
		tls-config tls-common {
			private_key_file = ${join(OUT, "server.key")}
			certificate_file = ${join(OUT, "server.pem")}
			ca_file = ${join(OUT, "chain.pem")}
			cipher_list = "DEFAULT"
			tls_min_version = "1.2"
			tls_max_version = "1.2"
			ecdh_curve = "prime256v1"
			cache {
				enable = no
			}
			verify {
			}
		}
		tls {
			tls = tls-common
		}
	}`,
    authorize: "		eap {\n			ok = return\n		}",
    authenticate: "		Auth-Type EAP {\n			eap\n		}",
    postAuth: "		update reply {\n			Tunnel-Type := VLAN\n			Tunnel-Medium-Type := IEEE-802\n			Tunnel-Private-Group-Id := \"30\"\n		}",
    extraPaths: `certdir = ${OUT}\ncadir = ${OUT}`,
  });
  const child = spawn("freeradius", ["-d", dir, "-f"], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  try {
    for (let i = 0; i < 100 && !(await eapolTest(port, 0)); i++) {
      if (child.exitCode !== null) throw new Error(`freeradius exited: ${err.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return await eapLoad(port, child.pid!);
  } finally {
    await stopChild(child);
  }
}

/** AUTHS bare TLS handshakes against the floor server, PARALLEL at once from this process; the server's CPU from /proc. */
async function runFloor(): Promise<EapResult> {
  const child = spawn(process.execPath, [join(ROOT, "dist", "bench", "tls-floor-server.js"), join(OUT, "server.key"), join(OUT, "server.pem"), join(OUT, "chain.pem")], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise<number>((res, rej) => {
      child.stdout!.once("data", (d: Buffer) => res(Number(d.toString().trim())));
      child.once("exit", () => rej(new Error("tls-floor-server exited")));
    });
    const ca = readFileSync(join(OUT, "chain.pem"));
    const devices = Array.from({ length: DEVICES }, (_, i) => ({ cert: readFileSync(join(OUT, `dev${i}.pem`)), key: readFileSync(join(OUT, `dev${i}.key`)) }));
    const handshake = (i: number): Promise<boolean> => new Promise((res) => {
      const s = connect({ host: "127.0.0.1", port, ca, ...devices[i % DEVICES], servername: "radius.bench", maxVersion: "TLSv1.2" }, () => s.resume());
      s.on("end", () => res(s.authorized));
      s.on("error", () => res(false));
    });
    for (let i = 0; i < 4; i++) await handshake(i);
    const cpu0 = cpuSeconds(child.pid!);
    const t0 = performance.now();
    let next = 0;
    let failed = 0;
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      while (next < AUTHS) if (!(await handshake(next++))) failed++;
    }));
    const wallS = (performance.now() - t0) / 1000;
    const cpuUs = ((cpuSeconds(child.pid!) - cpu0) * 1e6) / AUTHS;
    return { perSecond: AUTHS / wallS, cpuUsPerAuth: cpuUs, busyUsPerAuth: cpuUs, failed };
  } finally {
    await stopChild(child);
  }
}

async function main(): Promise<void> {
  if (!haveCommand("eapol_test") || !haveCommand("openssl")) {
    process.stdout.write("eap-tls: eapol_test or openssl missing (apt-get install -y eapoltest openssl); skipped\n");
    return;
  }
  const withFr = haveCommand("freeradius");
  const db = await prepare();
  const cordon: Awaited<ReturnType<typeof runCordon>>[] = [];
  const fr: EapResult[] = [];
  const floor: EapResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    cordon.push(await runCordon(db));
    if (withFr) fr.push(await runFreeradius());
    floor.push(await runFloor());
  }
  const m = (xs: number[]): string => median(xs).toFixed(1);
  process.stdout.write(`EAP-TLS (TLS 1.2, ECDSA P-256), ${AUTHS} full handshakes, ${PARALLEL} eapol_test at once, median of ${RUNS}\n`);
  const row = (name: string, rs: EapResult[]): string =>
    `${name.padEnd(11)} ${m(rs.map((r) => r.perSecond)).padStart(8)} ${m(rs.map((r) => r.cpuUsPerAuth)).padStart(12)} ${m(rs.map((r) => r.busyUsPerAuth)).padStart(18)} ${String(rs.reduce((a, r) => a + r.failed, 0)).padStart(7)}`;
  process.stdout.write(`${"server".padEnd(11)} ${"auth/s".padStart(8)} ${"CPU µs/auth".padStart(12)} ${"less idle µs/auth".padStart(18)} ${"failed".padStart(7)}\n`);
  process.stdout.write(`${row("cordon", cordon.map((r) => r.eap))}\n`);
  if (withFr) {
    process.stdout.write(`${row("freeradius", fr)}\n`);
    process.stdout.write(`CPU per authentication, cordon / freeradius: ${(median(cordon.map((r) => r.eap.cpuUsPerAuth)) / median(fr.map((r) => r.cpuUsPerAuth))).toFixed(2)} (idle taken out: ${(median(cordon.map((r) => r.eap.busyUsPerAuth)) / median(fr.map((r) => r.busyUsPerAuth))).toFixed(2)}; goal ≤ 1)\n`);
  } else process.stdout.write("freeradius missing (apt-get install -y freeradius): Cordon alone\n");
  process.stdout.write(`${row("floor", floor)}   (bare node:tls handshake, same certificates, TCP, no RADIUS/EAP)\n`);
  if (withFr) process.stdout.write(`floor / freeradius: ${(median(floor.map((r) => r.cpuUsPerAuth)) / median(fr.map((r) => r.cpuUsPerAuth))).toFixed(2)}; cordon / floor: ${(median(cordon.map((r) => r.eap.cpuUsPerAuth)) / median(floor.map((r) => r.cpuUsPerAuth))).toFixed(2)}\n`);
  process.stdout.write(`EST simpleenroll over HTTPS, ${ENROLLS} enrollments, ${EST_PARALLEL} at once: ${m(cordon.map((r) => r.est.perSecond))}/s, serve CPU ${m(cordon.map((r) => r.est.cpuUsPerEnroll))} µs each, ${cordon.reduce((a, r) => a + r.est.failed, 0)} failed\n`);
}

await main();
