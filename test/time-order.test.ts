import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createPipeline } from "../src/pipeline.js";
import { readCapture } from "../src/sources/capture.js";
import type { Frame } from "../src/model/frame.js";
import { ErrorCounts } from "../src/net/error-counts.js";
import { startZeekReader } from "../src/sources/zeek/reader.js";
import { Store } from "../src/store/store.js";
import { CORPUS, NO_CORPUS, corpus, runCli, tmpDir } from "./helpers.js";
import { saveInventory } from "../src/app/site-run.js";

/**
 * Record time that steps back (captures appended, an older file after a newer one) must not
 * split flows: before, every packet older than the newest seen ended as an idle flow of its
 * own (106,008 flows for the corpus captures appended, against 12,343 for the files read alone).
 */

async function frames(path: string): Promise<Frame[]> {
  const out: Frame[] = [];
  await readCapture(path, (f) => void out.push({ ...f, buf: Buffer.from(f.buf.subarray(f.offset, f.offset + f.caplen)), offset: 0 }));
  return out;
}

function flows(list: readonly Frame[]): { flows: number; steps: number } {
  const p = createPipeline({ flows: () => undefined });
  p.beginSource("test", "default");
  for (const f of list) p.push({ ...f });
  p.flush();
  return { flows: p.stats.flows, steps: p.stats.errors.toJSON()["time.stepped-back"] ?? 0 };
}

describe("record time that steps back", { skip: NO_CORPUS }, () => {
  it("the corpus Ethernet captures appended give the flows of the files read one by one (within 1%)", async () => {
    const rows = readFileSync(join(CORPUS, "CAPTURES.tsv"), "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"))
      .filter((c) => c[4] === "Ethernet").filter((c, i, all) => all.findIndex((d) => d[5] === c[5]) === i);
    const files: Frame[][] = [];
    for (const [path] of rows) files.push(await frames(corpus(path)));
    const alone = files.reduce((n, f) => n + flows(f).flows, 0);
    const appended = flows(files.flat());
    assert.ok(appended.steps > 100, `${appended.steps} steps back between files`);
    assert.ok(Math.abs(appended.flows - alone) / alone < 0.01, `appended ${appended.flows} flows, the files alone ${alone}`);
    // Merged in time order, conversations of different files with the same addresses and ports
    // overlap in time and join into one flow: fewer flows, never more than the files alone.
    const merged = flows(files.flat().sort((a, b) => a.tsUs - b.tsUs));
    assert.equal(merged.steps, 0);
    assert.ok(merged.flows <= alone, `merged ${merged.flows}`);
  });

  it("files give the same flows and alerts in either order: an older telnet session after a newer scan is no brute force", () => {
    const scan = corpus("chrissanders-packets/synscan.pcapng");
    const telnet = corpus("markofu-pcaps/PracticalPacketAnalysis/ppa-capture-files/telnet.pcap");
    const run = (order: string[]): { flows: number; classes: string[] } => {
      const db = join(tmpDir("cordon-order-"), "c.db");
      const r = runCli(["analyze", "--db", db, "--format", "json", ...order]);
      assert.equal(r.status, 0, r.stderr);
      const alerts = JSON.parse(runCli(["alerts", "--db", db, "--format", "json", "--all"]).stdout) as { class: string }[];
      return { flows: (JSON.parse(r.stdout) as { stats: { flows: number } }).stats.flows, classes: [...new Set(alerts.map((a) => a.class))].sort() };
    };
    const forward = run([telnet, scan]);
    const backward = run([scan, telnet]);
    assert.deepEqual(backward, forward);
    assert.ok(!forward.classes.includes("brute-force"), forward.classes.join(","));
  });
});

describe("reading the same capture twice", () => {
  it("skips a capture the database already holds, with a message; --again reads it again", () => {
    const dir = tmpDir("cordon-again-");
    const db = join(dir, "c.db");
    const lab = join(dir, "lab");
    assert.equal(runCli(["lab", "--out", lab, "--devices", "12", "--duration", "120"]).status, 0);
    const pcap = join(lab, "lab.pcapng");
    const first = runCli(["analyze", "--db", db, "--format", "json", "--no-detect", pcap]);
    assert.equal(first.status, 0, first.stderr);
    const packets = (JSON.parse(first.stdout) as { devices: { packets_out: number }[] }).devices.reduce((n, d) => n + d.packets_out, 0);
    const second = runCli(["analyze", "--db", db, "--format", "json", "--no-detect", pcap]);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stderr, /lab\.pcapng: skipped, this database already holds its content \(read as .*lab\.pcapng at \d{4}-/);
    const after = (JSON.parse(second.stdout) as { stats: { packets: number }; devices: { packets_out: number }[] });
    assert.equal(after.stats.packets, 0);
    assert.equal(after.devices.reduce((n, d) => n + d.packets_out, 0), packets, "counters not doubled");
    const flowsBefore = (JSON.parse(runCli(["flows", "--db", db, "--format", "json"]).stdout) as unknown[]).length;
    // The same content under another name is the same capture.
    const copy = join(dir, "copy.pcapng");
    writeFileSync(copy, readFileSync(pcap));
    assert.match(runCli(["analyze", "--db", db, "--no-detect", copy]).stderr, /copy\.pcapng: skipped/);
    const again = runCli(["analyze", "--db", db, "--format", "json", "--no-detect", "--again", pcap]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal((JSON.parse(runCli(["flows", "--db", db, "--format", "json"]).stdout) as unknown[]).length, 2 * flowsBefore, "--again adds them again, as asked");
  });
});

describe("devices known only by address", () => {
  it("are shown with the address that names them", async () => {
    const dir = tmpDir("cordon-ip-devices-");
    const zeek = join(dir, "zeek");
    mkdirSync(zeek);
    writeFileSync(join(zeek, "conn.log"), `${JSON.stringify({ ts: 1763805600, "id.orig_h": "10.7.0.5", "id.orig_p": 40000, "id.resp_h": "10.7.0.9", "id.resp_p": 502, proto: "tcp" })}\n`);
    const db = join(dir, "c.db");
    const store = new Store(db);
    try {
      const p = createPipeline({ flows: (b) => store.saveFlows(b) });
      const reader = startZeekReader({ dir: zeek, site: "plant", source: "zeek", follow: false }, p, new ErrorCounts());
      await reader.done;
      p.flush();
      saveInventory(store, p.inventory);
    } finally {
      store.close();
    }
    const devices = JSON.parse(runCli(["devices", "--db", db, "--format", "json"]).stdout) as { site: string; mac: string | null; ips: string[] }[];
    assert.deepEqual(devices.map((d) => [d.site, d.mac, d.ips]).sort(), [["plant", null, ["10.7.0.5"]], ["plant", null, ["10.7.0.9"]]]);
    const one = runCli(["device", "--db", db, "10.7.0.9"]);
    assert.equal(one.status, 0, one.stderr);
    assert.match(one.stdout, /ips: 10\.7\.0\.9/);
    // One site: the table leaves the site column to --wide; the MAC column is empty, the address names the device.
    assert.match(runCli(["devices", "--db", db]).stdout, /^ +10\.7\.0\.5 +unknown/m);
    assert.match(runCli(["devices", "--db", db, "--wide"]).stdout, /^plant +10\.7\.0\.5/m);
  });
});
