import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoCapture } from "../../lab/demo.js";
import { Store } from "../../store/store.js";
import { renderDevices } from "../analyze.js";
import { analyzeCaptures, unreadableCaptures } from "../../app/analyze-captures.js";
import { Progress } from "../progress.js";
import { readIndicators } from "../../app/detections.js";
import { readOutputs } from "../notify-config.js";
import { notify } from "../../respond/notify/notify.js";
import { UsageError, parseFormat, writeAll } from "../output.js";
import { COMMON, dbPath, detectorFailed, modelOption } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "analyze",
  summary: "read captures into the inventory and print it",
  help: `Usage: cordon analyze [--db PATH] [--site NAME] [--format table|json|csv] [--no-detect]
                      [--notify FILE] [--indicators FILE]... [--again] [--keep-going] [--wide] [--loopback]
                      CAPTURE...
       cordon analyze --demo

Reads pcap or pcapng captures (gzip-compressed or not; '-' for standard input),
decides the format by its magic number, builds flows and the device inventory,
merges them into the database, and prints the inventory with a summary. The detectors run
alongside (scans, brute force, clear-text credentials, DNS tunnels and DGA names, risky
downloads and destinations, exploit strings, mining, ARP spoofing, OT operations); their
alerts are stored for 'cordon alerts'. --no-detect leaves them out. When the site has an
approved or enforced policy, flows outside it are policy-violation alerts. --indicators
matches addresses, domains and TLS fingerprints from STIX 2.1 bundles (.json) or CSV files
(type,value[,note]; types ip, domain, url, ja4, ja3). --notify FILE (YAML
or JSON, a list or {notify: [...]}) sends the run's new alerts to each output:
  - { syslog: { host: 127.0.0.1, port: 514, protocol: udp|tcp }, min_severity: medium }
  - { jsonl: /var/log/cordon/alerts.jsonl }
  - { webhook: { url: https://soc/hook, secret_env: HOOK_SECRET, dead_letter: /var/lib/cordon/dead.jsonl } }

  --site NAME      site the captures belong to (default: default)
  --format F       table (default), json or csv
  --demo           analyze a small capture built in code
  --again          read a file again although this database holds its content (a capture
                   read to its end is skipped, with a message: reading it again would add
                   its packets and flows twice); standard input is always read
  --keep-going     read the captures that can be read although others cannot (by default a
                   capture that is missing, a directory or unreadable stops analyze before
                   it reads anything, and one that is not a capture makes the exit 1)
  --wide           every column of the inventory, whole
  --loopback       read loopback traffic as a network, for simulator and lab captures
                   recorded on lo: 127.0.0.0/8, ::1 and the all-zero MAC name devices and
                   the detectors see their traffic (by default a host talking to itself is
                   no device and raises no alert; a frame with the all-zero MAC is named by
                   its address)
  --model FILE     behavioural model for devices the fingerprint rules cannot place
                   (default: the shipped data/models/behaviour.json; 'none' for rules only)

${COMMON}`,
  options: {
    again: { type: "boolean" },
    "keep-going": { type: "boolean" },
    loopback: { type: "boolean" },
    wide: { type: "boolean" },
    db: { type: "string" },
    demo: { type: "boolean" },
    format: { type: "string" },
    indicators: { type: "string", multiple: true },
    model: { type: "string" },
    "no-detect": { type: "boolean" },
    notify: { type: "string" },
    site: { type: "string" },
  },
  async run({ values, positionals }) {
    const format = parseFormat(values.format);
    let paths = positionals;
    if (values.demo) {
      const dir = mkdtempSync(join(tmpdir(), "cordon-demo-"));
      const file = join(dir, "demo.pcap");
      writeFileSync(file, demoCapture());
      paths = [file];
    }
    if (paths.length === 0) throw new UsageError("analyze needs at least one CAPTURE (or --demo)");
    const keepGoing = values["keep-going"] === true;
    const cannot = unreadableCaptures(paths);
    for (const c of cannot) process.stderr.write(`cordon: ${c.path}: ${c.reason}\n`);
    if (cannot.length > 0) {
      if (!keepGoing || cannot.length === paths.length) return 1;
      paths = paths.filter((p) => !cannot.some((c) => c.path === p));
    }
    const store = new Store(dbPath(values.db));
    try {
      const outputs = values.notify ? readOutputs(values.notify) : undefined;
      const indicators = values.indicators ? readIndicators(values.indicators) : undefined;
      // Only the summary is kept: the run's inventory in memory can go before the stored one is read back.
      // The first SIGINT or SIGTERM stops reading; what was read is stored and printed (exit 130). A second ends at once.
      const interrupt = new AbortController();
      const onSignal = (): void => {
        if (interrupt.signal.aborted) process.exit(130);
        process.stderr.write("cordon: interrupted: storing what was read (again to quit at once)\n");
        interrupt.abort();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      const progress = new Progress();
      const { stats, newAlerts, unreadable, partial, interrupted, skipped } = await analyzeCaptures(store, paths, values.site ?? "default", {
        model: modelOption(values.model), detect: values["no-detect"] !== true, indicators, signal: interrupt.signal, again: values.again === true, loopback: values.loopback === true,
        progress: (path, frames, size, packets) => progress.update(path, frames, size, packets), detectorFailed,
      });
      progress.done();
      for (const s of skipped) {
        process.stderr.write(`cordon: ${s.path}: skipped, this database already holds its content (read as ${s.readAs}${s.readAt ? ` at ${s.readAt}` : ""}); --again reads it again and adds its packets and flows twice\n`);
      }
      if (outputs) {
        const n = await notify(outputs, newAlerts);
        for (const f of n.failures) process.stderr.write(`cordon: ${f}\n`);
        if (n.deadLettered > 0) process.stderr.write(`cordon: ${n.deadLettered} alerts could not be delivered and went to the dead-letter file\n`);
      }
      for (const u of unreadable) process.stderr.write(`cordon: ${u.path}: ${u.reason}\n`);
      for (const p of partial) process.stderr.write(`cordon: ${p.path}: stopped early: ${p.reason}\n`);
      if (unreadable.length === paths.length && !interrupted) return 1;
      writeAll(renderDevices(store, format, stats, {}, values.wide === true));
      if (interrupted) {
        process.stderr.write(`cordon: interrupted after ${stats.packets} packets: what was read is stored\n`);
        return 130;
      }
      // Something named could not be read: the exit says so unless asked to keep going.
      return (unreadable.length > 0 || cannot.length > 0) && !keepGoing ? 1 : 0;
    } finally {
      store.close();
    }
  },
});
