#!/usr/bin/env node
import "./jit.js";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MODEL_MIN_PROBABILITY } from "../classify/decide.js";
import { type BehaviourModel, DEFAULT_MODEL_PATH, loadModel } from "../classify/model.js";
import { CATEGORIES, CRITICALITY } from "../classify/taxonomy.js";
import { ConfigError, loadConfig } from "../serve/config.js";
import { startServer } from "../serve/server.js";
import type { ResponseRecord } from "../model/response.js";
import { DEFAULT_SERVER, callServe, decideMove, macArgument, renderNac, renderResponse, renderResponses } from "./respond.js";
import { deviceDetail, isoTime } from "../inventory/view.js";
import { demoCapture } from "../lab/demo.js";
import { DEFAULT_LAB, generateLab } from "../lab/generate.js";
import { Store } from "../store/sqlite.js";
import { analyzeCaptures, renderDevices } from "./analyze.js";
import { classifiedView } from "../app/classification.js";
import { evaluateCaptures, renderEvaluation, trainOnCaptures } from "./eval.js";
import { renderFlows } from "./flows.js";
import { expiry, moveAlert, renderAlerts, renderSuppressions } from "./alerts.js";
import { evaluateAlerts, renderAlertEvaluation } from "./eval-alerts.js";
import { readIndicators } from "../app/detections.js";
import { readOutputs } from "./notify-config.js";
import { notify } from "../respond/notify/notify.js";
import { renderBaselines } from "./baseline.js";
import { assignMud, exportDeviceMud, importMudFiles, renderMudList } from "./mud.js";
import {
  LEFT_OUT, TARGETS, compileFor, learnFromStore, loadPolicy, movePolicy, proposePolicy, readGroupSpecs, renderPolicy,
  renderPolicyDiff, renderPolicyList, renderSimulation, simulateCaptures, storedPolicy,
} from "./policy.js";
import { UsageError, parseFormat, table, writeAll } from "./output.js";
import { AuditLog } from "../store/audit.js";
import { cliActor, cliAudit } from "./actor.js";
import { policyFileOf } from "../app/policies.js";
import { canonicalIp } from "../model/values.js";

const COMMON = `Options for every command:
  --db PATH        database file (default ./cordon.db, or $CORDON_DB)
  -h, --help       this help`;

/** The options each command reads (`--help` and `--by`, refused with its own message, aside). */
const COMMAND_OPTIONS: Record<string, readonly string[]> = {
  analyze: ["again", "db", "demo", "format", "indicators", "model", "no-detect", "notify", "site"],
  devices: ["db", "format"],
  device: ["db", "format"],
  flows: ["db", "format", "limit"],
  override: ["category", "criticality", "db", "reason"],
  lab: ["devices", "duration", "out", "scenarios", "seed"],
  eval: ["alerts", "format", "labels", "model"],
  policy: ["all", "db", "device", "format", "groups", "mode", "out", "policy", "reason", "site", "target"],
  baseline: ["category", "db", "device", "format", "min-window", "site"],
  alerts: ["all", "class", "db", "format", "reason"],
  suppress: ["db", "detector", "device", "expires", "format", "peer", "reason"],
  maintenance: ["db", "device", "format", "from", "reason", "site", "until"],
  mud: ["db", "device", "format", "policy", "site", "url"],
  quarantine: ["db", "reason", "server", "site"],
  release: ["db", "reason", "server", "site"],
  respond: ["db", "format", "reason", "server"],
  audit: ["db", "format", "limit"],
  nac: ["db", "device", "format", "limit", "reason", "site"],
  serve: ["capture", "config", "db", "http-port", "ipfix-tcp", "log-level", "netflow", "site", "zeek"],
  train: ["labels", "out"],
};

const HELP: Record<string, string> = {
  main: `cordon: a zero-trust control plane for devices that cannot verify themselves

Usage: cordon COMMAND [options]

Commands:
  analyze    read captures into the inventory and print it
  devices    print the inventory
  device     print everything known about one device, with evidence
  flows      print the flows
  eval       score classification against a labels file
  train      train the behavioural model from labelled captures
  lab        write a synthetic site: capture plus ground-truth labels
  alerts     what the detectors raised; acknowledge and resolve them
  suppress   silence alerts by device, detector or peer, with a reason and an expiry
  maintenance  declare OT maintenance windows: engineering work outside them is an alert
  baseline   what each device (and category) normally does, and whether that is settled
  policy     learn, review, approve, compile and simulate segmentation policy
  mud        import, assign and export RFC 8520 MUD profiles
  serve      run continuously: live capture, NetFlow/IPFIX, Zeek logs, RADIUS; /healthz, /metrics, /api
  quarantine put a device in quarantine now (through the running serve)
  release    take a device out of quarantine (through the running serve)
  respond    list responses; approve or reject a proposed quarantine
  audit      who did what: quarantines, releases, approvals, alert and policy moves
  nac        RADIUS decisions per device, sessions, quarantines (from the database)
  override   set a device's category or criticality by hand

Run 'cordon COMMAND --help' for a command's options.`,
  analyze: `Usage: cordon analyze [--db PATH] [--site NAME] [--format table|json|csv] [--no-detect]
                      [--notify FILE] [--indicators FILE]... [--again] CAPTURE...
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
  --model FILE     behavioural model for devices the fingerprint rules cannot place
                   (default: the shipped data/models/behaviour.json; 'none' for rules only)

${COMMON}`,
  devices: `Usage: cordon devices [--db PATH] [--site NAME] [--format table|json|csv]

Prints the inventory held in the database.

${COMMON}`,
  device: `Usage: cordon device [--db PATH] [--format table|json] MAC|IP

Prints every fact known about a device, each with its evidence (source, packet, time).

${COMMON}`,
  eval: `Usage: cordon eval --labels LABELS.json [--model FILE|none] [--format table|json] CAPTURE...
       cordon eval --alerts EXPECTED-ALERTS.json [--format table|json]

Analyses each capture on its own, classifies its devices and scores the labelled ones:
category and vendor accuracy, unknown rate, a confusion matrix and the misses. LABELS.json
has the shape of the corpus labels.json: { "captures": { "path relative to the file":
{ "mac": { "vendor", "model", "category" } } } }.

  --model FILE     behavioural model (default: the shipped one; 'none' for rules only)

With --alerts: runs every capture of an expected-alerts file (the corpus's shape: hostile
captures with the class, acting host and target each must raise; benign ones with the
classes they must not) and prints precision and recall per detector, the misses and the
false alarms.

${COMMON}`,
  train: `Usage: cordon train --labels LABELS.json [--out FILE] CAPTURE...

Trains the behavioural model (logistic regression over what each device's flows look like:
protocols used and served, peers, packet sizes, durations, periodicity, duty cycle) on the
labelled devices of the captures, and writes it as JSON (default: ./behaviour-model.json).
The model only names a category for devices that the fingerprint rules cannot place, and
only above ${Math.round(MODEL_MIN_PROBABILITY * 100)}% probability.

${COMMON}`,
  override: `Usage: cordon override [--db PATH] [--category C] [--criticality CLASS] [--reason TEXT] MAC|IP

Records a person's decision about a device: its category, its criticality class
(life-safety/physical-process, sensitive-data, standard, low), or both. The classifier keeps
learning, but what is shown and enforced follows the override.

${COMMON}`,
  lab: `Usage: cordon lab [--out DIR] [--devices N] [--duration SECONDS] [--seed N] [--scenarios LIST|all]

Writes DIR/lab.pcapng (default DIR: ./lab) with a synthetic site's traffic (cameras and an
NVR, BACnet controllers and a BMS server, Modbus and S7 PLCs with HMI and engineering
workstation, infusion pumps and their server, printers, VoIP phones and a PBX, workstations,
smart plugs (TP-Link, Tuya), Tuya bulbs, battery door sensors, thermostats, smart TVs,
DNS/DHCP/NTP and a gateway) and DIR/labels.json with the ground truth and the injected
scenarios. Scenarios: port-scan, telnet-brute-force, dga-dns,
exfiltration, plc-stop, new-peer. The same seed gives the same capture.

${COMMON}`,
  baseline: `Usage: cordon baseline [--db PATH] [--site NAME] [--device MAC | --category C]
                       [--min-window SECONDS] [--format table|json]

What each device normally does, from the stored flows: the peers it starts flows to and
serves (internal devices with their category, external endpoints by DNS name, else their
/24), protocols and ports, bytes, flows by hour of day and weekday, and whether the baseline
is mature: it spans --min-window (default 604800, 7 days), holds 20 flows, and at least 90%
of what it does was known before the last quarter of its window. --category shows what the
devices of one category do, with how many of them do it.

${COMMON}`,
  policy: `Usage: cordon policy learn [--db PATH] [--site NAME] [--all] [--groups FILE] [--out FILE]
       cordon policy list | show [ID] | diff ID ID          [--format table|json]
       cordon policy approve|reject|enforce ID [--reason TEXT]
       cordon policy compile --policy ID|FILE --target TARGET [--device SET] [--mode monitor|enforce]
       cordon policy simulate --policy ID|FILE [--format table|json] CAPTURE...

learn     an allow-list from the flows in the database, stored as a new proposed version (and
          written to --out): for every flow a managed device takes part in, "initiator's
          group -> responder (group, DNS name or address) on protocol and port". Groups come
          from --groups (YAML or JSON: a list of {name, devices, category, criticality, site,
          vlan}; a device joins the first it matches), else categories. Managed: every device
          that is not a workstation, server, router, phone or unknown (--all: every device).
          Internet flows follow the device's criticality: life-safety/physical-process none,
          sensitive-data only to DNS-named endpoints, standard the exact addresses seen, low
          their /24; what is left out is listed under "review". Prints the diff from the
          previous version.
list, show, diff   stored versions, one version with its history, what changed between two.
approve, reject, enforce   move a version along proposed -> approved -> enforced (enforcing
          supersedes the version enforced before); who (the operating-system user) is recorded with the time.
compile   TARGET: ${TARGETS.join(", ")} (port targets for the device set named by --device).
          --mode overrides the policy's mode (learned policies start in monitor mode).
simulate  judges every flow of the captures against the policy: what would be dropped, and why.

${COMMON}`,
  alerts: `Usage: cordon alerts [--db PATH] [--format table|json|csv] [--all] [--class CLASS]
       cordon alerts ack|resolve|reopen ID [--reason TEXT]

Alerts the detectors raised while captures were analysed (or serve ran): one per episode,
with counts, severity, ATT&CK technique, acting host and target, and evidence (packets by
source and frame, flows, observations). Open and acknowledged ones are listed; --all adds
resolved and suppressed ones. IDs may be shortened to a unique prefix.

${COMMON}`,
  maintenance: `Usage: cordon maintenance add --from TIME --until TIME --reason TEXT [--site NAME] [--device IP] [--db PATH]
       cordon maintenance list [--format table|json] [--db PATH]

Declares when a site (or one OT device in it, by address) is under maintenance. Once a site
has declared a window, program downloads and uploads, mode changes and restarts outside every
window are alerts whoever does them, and at least high; inside one, a declared or habitual
engineering workstation's work is a record. Writes and commands (an HMI's daily work) are not
judged by windows. Times are ISO 8601 (2026-12-07T06:00:00Z). Audited with the operating-system user.

${COMMON}`,
  suppress: `Usage: cordon suppress add [--device MAC|IP] [--detector NAME] [--peer IP] --reason TEXT [--expires 7d|ISO-TIME]
       cordon suppress list [--format table|json]
       cordon suppress remove ID

A suppression silences the alerts it matches from then on (they are kept, marked
suppressed): every given field must match; without --expires it lasts until removed.

${COMMON}`,
  mud: `Usage: cordon mud import [--db PATH] [--site NAME] FILE...
       cordon mud list [--db PATH] [--site NAME] [--format table|json]
       cordon mud assign --device MAC --url URL [--db PATH] [--site NAME]
       cordon mud export --device MAC [--policy ID|FILE] [--url URL] [--db PATH]

import   validates RFC 8520 MUD files (the RFC's ietf-access-control-list:acls, or the older
         access-lists key mudgee writes) and keeps them by MUD URL; one bad file and nothing
         is imported. Devices that announced a MUD URL (DHCP option 161, LLDP) or were
         assigned one are governed by its profile when policy is next learned.
list     the kept profiles and the devices that use each.
assign   gives a device a MUD URL by hand (for devices that announce none).
export   the device's group in a policy (default: the newest stored) as a MUD file: its own
         connections as from-device ACEs, replies and inbound connections as to-device
         ACEs, peers as DNS names, networks, MUD matches, or urn:cordon:group: controllers.

${COMMON}`,
  quarantine: `Usage: cordon quarantine MAC --reason TEXT [--site NAME] [--server URL] [--db PATH]

Asks the running 'cordon serve' to quarantine the device now: its recent packets are written
as evidence (pcapng), it goes on the quarantine list (its next MAB gets the quarantine VLAN
and ACL), a CoA goes to its NAS (or the nftables quarantine is loaded, as configured), and the
outputs are told. A person's request needs no further approval, whatever the device's class.
--server (or CORDON_SERVER) names the serve's HTTP endpoint (default ${DEFAULT_SERVER}). Its
bearer token is CORDON_TOKEN, else the file DB.token that serve made beside its database
(--db). The operating-system user running the command is recorded as who acted.`,
  release: `Usage: cordon release MAC --reason TEXT [--site NAME] [--server URL] [--db PATH]

Ends a device's quarantine through the running 'cordon serve': logged with who and why, then
a CoA (or the nftables quarantine reloaded without it) so it is authorised as before.`,
  respond: `Usage: cordon respond list [--format table|json] [--server URL] [--db PATH]
       cordon respond approve ID [--reason NOTE] [--server URL] [--db PATH]
       cordon respond reject ID --reason TEXT [--server URL] [--db PATH]

Responses the playbook started (alerts at or above respond.min_severity) or a person asked
for, with every step. Devices in the classes of respond.approval (by default
life-safety/physical-process) are only proposed for quarantine: a person approves or rejects.`,
  audit: `Usage: cordon audit [--limit N] [--format table|json] [--db PATH]

The audit log, newest first: every quarantine, release, approval and rejection (through the
API or by the playbook), alert, suppression, override, MUD and policy change made with the
CLI, each with the authenticated principal, the person, the face (api, cli, playbook), the
peer address and the outcome. The database refuses to change or delete its rows.

${COMMON}`,
  nac: `Usage: cordon nac log [--device MAC] [--site NAME] [--limit N] [--format table|json] [--db PATH]
       cordon nac sessions | quarantines [--format table|json] [--db PATH]
       cordon nac moves | pending [--limit N] [--format table|json] [--db PATH]
       cordon nac approve | reject MOVE_ID [--reason TEXT] [--db PATH]

What the RADIUS server decided for each MAB request (state, VLAN, reason), newest first; the
NAS and port each MAC was last seen at; quarantines with their release. Reads the database,
so it works whether or not serve runs.

Group membership follows the verdicts: a device whose category, criticality or MUD URL puts it
in another group of the policy in force moves at once when the new group may reach nothing the
old one could not (serve sends a CoA), and waits for a person otherwise, unless its MUD URL is
one of nac.trusted_mud. "moves" lists every move with the verdict behind it; "pending" the
ones waiting; "approve" lets one take effect at serve's next table (with a CoA), "reject"
keeps the device where it is under this policy. Each decision is audited with the
operating-system user who made it.`,
  serve: `Usage: cordon serve [--config FILE] [--db PATH] [--site NAME] [--http-port N]
                    [--netflow PORT]... [--ipfix-tcp PORT]... [--capture IFACE]... [--zeek DIR]...
                    [--log-level L]

Runs until SIGTERM or SIGINT: every configured source feeds the same pipeline as analyze.
Finished flows and the devices they changed are committed every second (a kill -9 loses at
most that second and the flows still open); verdicts, alerts and the NAC table follow every
persist_interval_s, and everything on exit. The main thread owns the sockets; ingest and the
database run in a worker thread. A port that cannot be bound, or a dead or stuck worker, ends
serve with exit 1 for its supervisor to restart it.

Configuration (YAML; CORDON_DB, CORDON_SITE, CORDON_LOG_LEVEL, CORDON_HTTP_HOST,
CORDON_HTTP_PORT and CORDON_PERSIST_INTERVAL_S override it; flags override both):
  db: ./cordon.db
  site: default                 # sources without their own site belong here
  log_level: info               # pino JSON logs on stdout
  http: { host: 127.0.0.1, port: 9810 }     # GET /healthz, GET /metrics (Prometheus), /api (token always:
                                # token_env names a variable, else serve keeps one in DB.token;
                                # allowed_hosts: more Host names the API answers to)
  persist_interval_s: 10
  flow_idle_timeout_s: 120      # shorter: scans (flow-based) are told, and answered, sooner
  max_queue: 100000             # datagrams waiting for the worker, shared fairly between exporters;
                                # more are dropped and counted per exporter (over TCP they wait)
  clock_skew_s: 300             # record times further ahead of the wall clock are clamped, counted
  watchdog_s: 60                # a worker silent this long ends serve with 1 (for its supervisor)
  max_devices: 200000           # devices in memory; past it, saved ones quiet for an hour are let go
  netflow:                      # NetFlow v5/v9 and IPFIX over UDP; IPFIX over TCP (transport: tcp)
    - { port: 2055, host: 0.0.0.0, site: plant-a, template_lifetime_s: 1800,
        exporters: [10.0.0.1, 10.0.1.0/28] }   # only these are decoded; others dropped, counted
    - { port: 4739, transport: tcp, exporters: [10.0.0.2] }
  capture:                      # live capture through tcpdump (BPF filter optional; buffer_mib:
                                # the kernel ring that absorbs a pause of the pipeline)
    - { interface: eth1, filter: "not port 22", snaplen: 65535, buffer_mib: 64 }
  zeek:                         # conn, dns, dhcp, software, known_services logs (TSV or JSON)
    - { dir: /opt/zeek/logs/current, follow: true }
  detect: true                  # run the detectors on everything ingested
  indicators: [/etc/cordon/feed.json]      # STIX 2.1 bundles (.json) or CSV (type,value[,note])
  notify:                       # where new alerts go (see cordon analyze --help)
    - { syslog: { host: 10.0.0.5, port: 514, protocol: tcp }, min_severity: medium }
    - { jsonl: /var/log/cordon/ot.jsonl, audience: [ot] }   # responses about OT devices
  nac:                          # RADIUS for MAB (and accounting); CoA to the NASes
    host: 0.0.0.0
    auth_port: 1812
    acct_port: 1813
    vlans: { onboarding: 900, quarantine: 666, registered: 100 }
    group_vlans: { camera: 20 }             # per policy group (else the port keeps its VLAN)
    quarantine_allow: [10.0.99.5]           # what a quarantined device may still reach
    unknown: onboard                        # or reject
    coa: { timeout_ms: 1000, retries: 3 }
    nas:
      - { name: access-1, address: 10.0.0.0/24, secret_env: RADIUS_SECRET, vendor: cisco,
          acl: per-user, coa_port: 3799, require_message_authenticator: true, rate_limit: 5000 }
      # vendor: cisco (acl per-user | dacl | filter-id), aruba (aruba-role | nas-filter-rule), generic
      # acl dacl: the Accept names a downloadable ACL the switch fetches from Cordon (ISE style)
      # coa_action: reauthenticate | bounce-port | disable-port | apply-role | disconnect
  respond:                      # playbook for alerts at or above min_severity
    min_severity: high
    quarantine: coa             # or nftables (nft_command: nft), or none
    approval: [life-safety/physical-process]  # these wait for 'cordon respond approve'
    evidence_dir: ./evidence
    capture_seconds: 300        # packets per device kept from live capture (ring_kb, ring_devices)
  # Flow records alone (NetFlow, IPFIX, Zeek conn) never start a quarantine: a person approves.

${COMMON}`,
  flows: `Usage: cordon flows [--db PATH] [--format table|json|csv] [--limit N]

Prints stored flows: endpoints, ports, protocol, application protocol, packets and
bytes each way, first and last seen.

${COMMON}`,
};

/** The --model option: a file, 'none', or the shipped model when absent. */
function modelOption(v: string | undefined): BehaviourModel | undefined {
  if (v === "none") return undefined;
  try {
    const m = loadModel(v ?? DEFAULT_MODEL_PATH);
    if (!m && v !== undefined) throw new UsageError(`${v}: no such model file`);
    return m;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
}

function dbPath(v: string | undefined): string {
  return v ?? process.env.CORDON_DB ?? "./cordon.db";
}

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    process.stdout.write(`${HELP.main}\n`);
    return command === undefined ? 2 : 0;
  }
  if (!(command in HELP) || command === "main") throw new UsageError(`unknown command '${command}'`);
  const { values, positionals } = parseArgs({
    args: argv.slice(1),
    allowPositionals: true,
    options: {
      db: { type: "string" },
      site: { type: "string" },
      format: { type: "string" },
      limit: { type: "string" },
      labels: { type: "string" },
      category: { type: "string" },
      criticality: { type: "string" },
      reason: { type: "string" },
      by: { type: "string" },
      out: { type: "string" },
      devices: { type: "string" },
      duration: { type: "string" },
      seed: { type: "string" },
      scenarios: { type: "string" },
      model: { type: "string" },
      policy: { type: "string" },
      groups: { type: "string" },
      "min-window": { type: "string" },
      "no-detect": { type: "boolean" },
      alerts: { type: "string" },
      notify: { type: "string" },
      indicators: { type: "string", multiple: true },
      url: { type: "string" },
      class: { type: "string" },
      detector: { type: "string" },
      peer: { type: "string" },
      expires: { type: "string" },
      from: { type: "string" },
      until: { type: "string" },
      target: { type: "string" },
      device: { type: "string" },
      mode: { type: "string" },
      all: { type: "boolean" },
      config: { type: "string" },
      "http-port": { type: "string" },
      "log-level": { type: "string" },
      netflow: { type: "string", multiple: true },
      "ipfix-tcp": { type: "string", multiple: true },
      capture: { type: "string", multiple: true },
      zeek: { type: "string", multiple: true },
      demo: { type: "boolean" },
      again: { type: "boolean" },
      server: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP[command]}\n`);
    return 0;
  }
  // One option set is parsed for every command; an option this command does not take is an error that names it.
  const takes = new Set<string>([...COMMAND_OPTIONS[command] ?? [], "help", "by"]);
  const foreign = Object.keys(values).filter((k) => !takes.has(k));
  if (foreign.length > 0) throw new UsageError(`${command} does not take ${foreign.map((k) => `--${k}`).join(", ")} (cordon ${command} --help)`);
  // Who acts is who runs the command: the operating-system user, recorded on every change.
  const who = cliActor();
  if (values.by !== undefined) throw new UsageError(`--by is not taken: Cordon records the operating-system user running the command (${who})`);
  switch (command) {
    case "analyze": {
      const format = parseFormat(values.format);
      let paths = positionals;
      if (values.demo) {
        const dir = mkdtempSync(join(tmpdir(), "cordon-demo-"));
        const file = join(dir, "demo.pcap");
        writeFileSync(file, demoCapture());
        paths = [file];
      }
      if (paths.length === 0) throw new UsageError("analyze needs at least one CAPTURE (or --demo)");
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
        const { stats, newAlerts, unreadable, partial, interrupted, skipped } = await analyzeCaptures(store, paths, values.site ?? "default", {
          model: modelOption(values.model), detect: values["no-detect"] !== true, indicators, signal: interrupt.signal, again: values.again === true,
        });
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
        writeAll(renderDevices(store, format, stats));
        if (interrupted) {
          process.stderr.write(`cordon: interrupted after ${stats.packets} packets: what was read is stored\n`);
          return 130;
        }
        return 0;
      } finally {
        store.close();
      }
    }
    case "devices": {
      const format = parseFormat(values.format);
      const store = new Store(dbPath(values.db));
      try {
        writeAll(renderDevices(store, format));
      } finally {
        store.close();
      }
      return 0;
    }
    case "device": {
      const format = parseFormat(values.format, ["table", "json"]);
      if (positionals.length !== 1) throw new UsageError("device needs one MAC or IP");
      const store = new Store(dbPath(values.db));
      try {
        const verdicts = store.latestVerdicts();
        const overrides = store.overrides();
        const found = store.findDevices(positionals[0]).map((d) => ({
          ...classifiedView(d, verdicts.get(d.id), overrides.get(d.id)),
          ...deviceDetail(d),
          verdict_history: store.verdictHistory(d.id).map((v) => ({
            category: v.category, vendor: v.vendor ?? null, model: v.model ?? null, firmware: v.firmware ?? null,
            confidence: v.confidence, decided: isoTime(v.decidedUs),
          })),
        }));
        if (found.length === 0) {
          process.stderr.write(`cordon: no device with MAC or IP ${positionals[0]}\n`);
          return 1;
        }
        process.stdout.write(format === "json" ? `${JSON.stringify(found, null, 2)}\n` : `${found.map(textDetail).join("\n\n")}\n`);
      } finally {
        store.close();
      }
      return 0;
    }
    case "flows": {
      const format = parseFormat(values.format);
      const limit = values.limit !== undefined ? Number(values.limit) : undefined;
      if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new UsageError("--limit must be a positive integer");
      const store = new Store(dbPath(values.db));
      try {
        process.stdout.write(`${renderFlows(store.flows(limit), format)}\n`);
      } finally {
        store.close();
      }
      return 0;
    }
    case "override": {
      if (positionals.length !== 1) throw new UsageError("override needs one MAC or IP");
      if (values.category === undefined && values.criticality === undefined) throw new UsageError("override needs --category or --criticality");
      if (values.category !== undefined && !(CATEGORIES as readonly string[]).includes(values.category)) {
        throw new UsageError(`--category must be one of ${CATEGORIES.join(", ")}`);
      }
      if (values.criticality !== undefined && !(CRITICALITY as readonly string[]).includes(values.criticality)) {
        throw new UsageError(`--criticality must be one of ${CRITICALITY.join(", ")}`);
      }
      const store = new Store(dbPath(values.db));
      try {
        const found = store.findDevices(positionals[0]);
        if (found.length !== 1) {
          process.stderr.write(`cordon: ${found.length === 0 ? "no device" : `${found.length} devices`} with MAC or IP ${positionals[0]}\n`);
          return 1;
        }
        store.setOverride(found[0].id, {
          category: values.category, criticality: values.criticality, reason: values.reason,
          setBy: who, setAt: new Date().toISOString(),
        });
        cliAudit(store, "override", found[0].mac ?? found[0].key, [values.category && `category ${values.category}`, values.criticality && `criticality ${values.criticality}`, values.reason].filter(Boolean).join("; "), found[0].site);
        process.stdout.write(`${found[0].mac ?? found[0].key}: override recorded\n`);
      } finally {
        store.close();
      }
      return 0;
    }
    case "lab": {
      const int = (v: string | undefined, name: string, dflt: number): number => {
        if (v === undefined) return dflt;
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer`);
        return n;
      };
      const dir = values.out ?? "./lab";
      mkdirSync(dir, { recursive: true });
      const r = generateLab(dir, {
        ...DEFAULT_LAB,
        devices: int(values.devices, "devices", DEFAULT_LAB.devices),
        durationS: int(values.duration, "duration", DEFAULT_LAB.durationS),
        seed: int(values.seed, "seed", DEFAULT_LAB.seed),
        scenarios: values.scenarios ? values.scenarios.split(",").map((x) => x.trim()).filter(Boolean) : [],
      });
      process.stdout.write(`${r.pcap}: ${r.frames} frames, ${r.devices} devices${r.scenarios.length ? `, scenarios: ${r.scenarios.map((x) => x.name).join(", ")}` : ""}\n${r.labels}\n`);
      return 0;
    }
    case "eval": {
      const format = parseFormat(values.format, ["table", "json"]);
      if (values.alerts !== undefined) {
        process.stdout.write(`${renderAlertEvaluation(await evaluateAlerts(values.alerts), format === "json" ? "json" : "table")}\n`);
        return 0;
      }
      if (!values.labels) throw new UsageError("eval needs --labels LABELS.json");
      if (positionals.length === 0) throw new UsageError("eval needs at least one CAPTURE");
      const e = await evaluateCaptures(values.labels, positionals, modelOption(values.model));
      process.stdout.write(`${renderEvaluation(e, format === "json" ? "json" : "table")}\n`);
      return 0;
    }
    case "policy": {
      const sub = positionals[0];
      const db = dbPath(values.db);
      const format = (): "table" | "json" => (parseFormat(values.format, ["table", "json"]) === "json" ? "json" : "table");
      if (sub === "learn") {
        const fmt = format();
        const store = new Store(db);
        try {
          const groups = values.groups ? readGroupSpecs(values.groups) : undefined;
          const f = learnFromStore(store, values.site ?? "default", { manageAll: values.all === true, groups });
          const previous = store.policies().find((p) => p.name === f.policy.name);
          const stored = proposePolicy(store, f, who, values.reason ?? "learned from stored flows");
          cliAudit(store, "policy.propose", `policy ${stored.id}`, `${stored.name} version ${stored.version}`, stored.site);
          if (values.out) writeFileSync(values.out, `${JSON.stringify(policyFileOf(stored), null, 2)}\n`);
          if (fmt === "json") {
            process.stdout.write(`${renderPolicy(stored, "json")}\n`);
          } else {
            const p = policyFileOf(stored).policy;
            process.stdout.write(`policy ${stored.id}: ${stored.name} version ${stored.version}, proposed: ${p.rules.length} rules over ${Object.keys(p.groups).length} groups, ${p.managed.length} managed devices, ${p.review.length} for review${values.out ? ` (written to ${values.out})` : ""}\n`);
            for (const r of p.review.filter((x) => x.startsWith(LEFT_OUT))) process.stdout.write(`${r}\n`);
            if (previous) process.stdout.write(`${renderPolicyDiff(previous, stored, "table")}\n`);
          }
          return 0;
        } finally {
          store.close();
        }
      }
      if (sub === "list" || sub === "show" || sub === "diff" || sub === "approve" || sub === "reject" || sub === "enforce") {
        const fmt = format();
        const store = new Store(db);
        try {
          if (sub === "list") process.stdout.write(`${renderPolicyList(store.policies(), fmt)}\n`);
          else if (sub === "show") process.stdout.write(`${renderPolicy(storedPolicy(store, positionals[1] ?? "latest"), fmt)}\n`);
          else if (sub === "diff") {
            if (positionals.length !== 3) throw new UsageError("policy diff needs two policy ids");
            process.stdout.write(`${renderPolicyDiff(storedPolicy(store, positionals[1]), storedPolicy(store, positionals[2]), fmt)}\n`);
          } else {
            if (!positionals[1]) throw new UsageError(`policy ${sub} needs a policy id`);
            const to = sub === "approve" ? "approved" : sub === "reject" ? "rejected" : "enforced";
            const p = movePolicy(store, positionals[1], to, who, values.reason);
            cliAudit(store, `policy.${sub}`, `policy ${p.id}`, `${p.name} version ${p.version}${values.reason ? `: ${values.reason}` : ""}`, p.site);
            process.stdout.write(fmt === "json" ? `${renderPolicy(p, "json")}\n` : `policy ${p.id} (${p.name} version ${p.version}) is ${p.status}\n`);
          }
          return 0;
        } finally {
          store.close();
        }
      }
      if (sub === "compile" || sub === "simulate") {
        if (!values.policy) throw new UsageError(`policy ${sub} needs --policy ID|FILE`);
        const f = loadPolicy(values.policy, db);
        if (sub === "compile") {
          if (!values.target) throw new UsageError(`policy compile needs --target (${TARGETS.join(", ")})`);
          process.stdout.write(compileFor(f, values.target, values.device, values.mode));
          return 0;
        }
        const captures = positionals.slice(1);
        if (captures.length === 0) throw new UsageError("policy simulate needs at least one CAPTURE");
        process.stdout.write(`${renderSimulation(await simulateCaptures(f, captures), format())}\n`);
        return 0;
      }
      throw new UsageError(`policy needs learn, list, show, diff, approve, reject, enforce, compile or simulate${sub ? `, not "${sub}"` : ""}`);
    }
    case "baseline": {
      const format = parseFormat(values.format, ["table", "json"]) === "json" ? "json" : "table";
      const minWindow = values["min-window"];
      if (minWindow !== undefined && !/^\d+$/.test(minWindow)) throw new UsageError("--min-window must be a number of seconds");
      const store = new Store(dbPath(values.db));
      try {
        process.stdout.write(`${renderBaselines(store, { site: values.site ?? "default", device: values.device, category: values.category, format, minWindowS: minWindow === undefined ? undefined : Number(minWindow) })}\n`);
        return 0;
      } finally {
        store.close();
      }
    }
    case "alerts": {
      const sub = positionals[0];
      const store = new Store(dbPath(values.db));
      try {
        if (sub === "ack" || sub === "resolve" || sub === "reopen") {
          if (!positionals[1]) throw new UsageError(`alerts ${sub} needs an alert id`);
          moveAlert(store, positionals[1], sub === "ack" ? "acknowledged" : sub === "resolve" ? "resolved" : "open", who, values.reason);
          cliAudit(store, `alert.${sub}`, `alert ${positionals[1]}`, values.reason ?? "");
          process.stdout.write(`alert ${positionals[1]}: ${sub === "ack" ? "acknowledged" : sub === "resolve" ? "resolved" : "open"}\n`);
          return 0;
        }
        if (sub !== undefined) throw new UsageError(`alerts takes ack, resolve or reopen, not "${sub}"`);
        process.stdout.write(`${renderAlerts(store, { format: parseFormat(values.format), all: values.all === true, class: values.class })}\n`);
        return 0;
      } finally {
        store.close();
      }
    }
    case "suppress": {
      const sub = positionals[0];
      const store = new Store(dbPath(values.db));
      try {
        if (sub === "add") {
          if (!values.reason) throw new UsageError("suppress add needs --reason: a suppression says why");
          if (!values.device && !values.detector && !values.peer) throw new UsageError("suppress add needs at least one of --device, --detector, --peer");
          const id = store.addSuppression({ device: values.device, detector: values.detector, peer: values.peer, reason: values.reason,
            expiresAt: values.expires ? expiry(values.expires) : undefined, createdBy: who, createdAt: new Date().toISOString() });
          cliAudit(store, "suppress.add", `suppression ${id}`, [values.device && `device ${values.device}`, values.detector && `detector ${values.detector}`, values.peer && `peer ${values.peer}`, values.expires && `expires ${values.expires}`, values.reason].filter(Boolean).join("; "));
          process.stdout.write(`suppression ${id} added\n`);
        } else if (sub === "list") {
          process.stdout.write(`${renderSuppressions(store, parseFormat(values.format, ["table", "json"]) === "json" ? "json" : "table")}\n`);
        } else if (sub === "remove") {
          if (!positionals[1] || !store.removeSuppression(Number(positionals[1]))) throw new UsageError(`no suppression ${positionals[1] ?? ""}`);
          cliAudit(store, "suppress.remove", `suppression ${positionals[1]}`, "");
          process.stdout.write(`suppression ${positionals[1]} removed\n`);
        } else {
          throw new UsageError(`suppress needs add, list or remove${sub ? `, not "${sub}"` : ""}`);
        }
        return 0;
      } finally {
        store.close();
      }
    }
    case "maintenance": {
      const sub = positionals[0];
      const store = new Store(dbPath(values.db));
      try {
        if (sub === "add") {
          const time = (v: string | undefined, name: string): string => {
            const t = v === undefined ? Number.NaN : Date.parse(v);
            if (!v || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(v) || Number.isNaN(t)) {
              throw new UsageError(`maintenance add needs --${name} as an ISO 8601 time with its zone (2026-12-07T06:00:00Z)`);
            }
            return new Date(t).toISOString();
          };
          const startsAt = time(values.from, "from");
          const endsAt = time(values.until, "until");
          if (endsAt <= startsAt) throw new UsageError("--until must be after --from");
          if (!values.reason) throw new UsageError("maintenance add needs --reason: a window says what work it is for");
          const target = values.device === undefined ? undefined : canonicalIp(values.device);
          if (values.device !== undefined && target === undefined) throw new UsageError(`--device: "${values.device}" is not an IP address (OT operations name their target by address)`);
          const site = values.site ?? "default";
          const id = store.addMaintenanceWindow({ site, target, startsAt, endsAt, reason: values.reason, createdBy: who, createdAt: new Date().toISOString() });
          cliAudit(store, "maintenance.add", `window ${id}`, `${startsAt} - ${endsAt}${target ? ` for ${target}` : ""}: ${values.reason}`, site);
          process.stdout.write(`maintenance window ${id}: site ${site}${target ? `, ${target}` : ""}, ${startsAt} to ${endsAt}\n`);
        } else if (sub === "list") {
          const list = store.maintenanceWindows();
          if (parseFormat(values.format, ["table", "json"]) === "json") process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
          else process.stdout.write(`${list.length === 0 ? "no maintenance windows" : table(["ID", "SITE", "DEVICE", "FROM", "UNTIL", "BY", "REASON"], list.map((w) => [w.id, w.site, w.target ?? "(all)", w.startsAt, w.endsAt, w.createdBy, w.reason]))}\n`);
        } else {
          throw new UsageError(`maintenance needs add or list${sub ? `, not "${sub}"` : ""}`);
        }
        return 0;
      } finally {
        store.close();
      }
    }
    case "mud": {
      const sub = positionals[0];
      const site = values.site ?? "default";
      const format = parseFormat(values.format, ["table", "json"]) === "json" ? "json" : "table";
      if (sub === "export") {
        if (!values.device) throw new UsageError("mud export needs --device MAC");
        const policy = values.policy ? loadPolicy(values.policy, dbPath(values.db)) : undefined;
        const store = new Store(dbPath(values.db));
        try {
          process.stdout.write(`${JSON.stringify(exportDeviceMud(store, values.device, policy, values.url), null, 2)}\n`);
        } finally {
          store.close();
        }
        return 0;
      }
      const store = new Store(dbPath(values.db));
      try {
        if (sub === "import") {
          const files = positionals.slice(1);
          if (files.length === 0) throw new UsageError("mud import needs at least one FILE");
          const done = importMudFiles(store, files, site);
          if (format === "json") process.stdout.write(`${JSON.stringify(done, null, 2)}\n`);
          else {
            for (const d of done) {
              process.stdout.write(`${d.url}: ${d.aces} ACEs -> ${d.rules} rules${d.review.length ? `, ${d.review.length} for review` : ""}; devices: ${d.devices.join(", ") || "none yet"} (${d.file})\n`);
              for (const r of d.review) process.stdout.write(`  review: ${r}\n`);
            }
          }
        } else if (sub === "list") {
          process.stdout.write(`${renderMudList(store, site, format)}\n`);
        } else if (sub === "assign") {
          if (!values.device || !values.url) throw new UsageError("mud assign needs --device MAC and --url URL");
          const key = assignMud(store, site, values.device, values.url, who);
          cliAudit(store, "mud.assign", key, values.url, site);
          process.stdout.write(`${key} at site ${site} -> ${values.url}\n`);
        } else {
          throw new UsageError(`mud needs import, list, assign or export${sub ? `, not "${sub}"` : ""}`);
        }
        return 0;
      } finally {
        store.close();
      }
    }
    case "quarantine":
    case "release": {
      const mac = macArgument(positionals[0], command);
      if (!values.reason) throw new UsageError(`${command} needs --reason TEXT`);
      const server = values.server ?? process.env.CORDON_SERVER ?? DEFAULT_SERVER;
      const r = await callServe(server, "POST", `/api/${command}`, { mac, reason: values.reason, ...(values.site ? { site: values.site } : {}) }, dbPath(values.db));
      if (command === "quarantine") process.stdout.write(`${renderResponse(r as ResponseRecord)}\n`);
      else {
        const rel = r as { quarantine: { mac: string; since: string }; enforcement: string };
        process.stdout.write(`${rel.quarantine.mac} released (in quarantine since ${rel.quarantine.since}); ${rel.enforcement}\n`);
      }
      return 0;
    }
    case "respond": {
      const sub = positionals[0];
      const server = values.server ?? process.env.CORDON_SERVER ?? DEFAULT_SERVER;
      if (sub === "list") {
        const list = (await callServe(server, "GET", "/api/responses", undefined, dbPath(values.db))) as ResponseRecord[];
        process.stdout.write(`${renderResponses(list, parseFormat(values.format, ["table", "json"]) === "json" ? "json" : "table")}\n`);
        return 0;
      }
      if (sub === "approve" || sub === "reject") {
        const id = positionals[1];
        if (!id || !/^[0-9a-f]{16}$/.test(id)) throw new UsageError(`respond ${sub} needs a response id (cordon respond list shows them)`);
        if (sub === "reject" && !values.reason) throw new UsageError("respond reject needs --reason TEXT");
        const r = await callServe(server, "POST", `/api/responses/${id}/${sub}`, sub === "reject" ? { reason: values.reason } : values.reason ? { note: values.reason } : {}, dbPath(values.db));
        process.stdout.write(`${renderResponse(r as ResponseRecord)}\n`);
        return 0;
      }
      throw new UsageError(`respond takes list, approve or reject${sub ? `, not "${sub}"` : ""}`);
    }
    case "audit": {
      const store = new Store(dbPath(values.db));
      try {
        const limit = values.limit === undefined ? 100 : Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000) throw new UsageError("--limit must be a whole number from 1 to 1000000");
        const list = new AuditLog(store.db).list({ limit });
        if (parseFormat(values.format, ["table", "json"]) === "json") process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else if (list.length === 0) process.stdout.write("no audit entries\n");
        else process.stdout.write(`${table(["id", "at", "principal", "actor", "via", "peer", "action", "site", "target", "outcome", "detail"], list.map((e) => [e.id, e.at, e.principal, e.actor, e.via, e.peer ?? "", e.action, e.site ?? "", e.target ?? "", e.outcome, e.detail]))}\n`);
        return 0;
      } finally {
        store.close();
      }
    }
    case "nac": {
      const store = new Store(dbPath(values.db));
      try {
        if (positionals[0] === "approve" || positionals[0] === "reject") {
          const m = decideMove(store, positionals[0], positionals[1], cliActor());
          cliAudit(store, `nac.move.${positionals[0]}`, m.mac, `move ${m.id}: ${m.from ?? "(no group)"} -> ${m.to}${values.reason ? `; ${values.reason}` : ""}`, m.site);
          process.stdout.write(`move ${m.id} of ${m.mac} from ${m.from ?? "(no group)"} to ${m.to}: ${m.status} by ${m.decidedBy}${m.status === "approved" ? "; serve applies it, with a CoA, at its next table" : ""}\n`);
          return 0;
        }
        const limit = values.limit ? Number(values.limit) : undefined;
        process.stdout.write(`${renderNac(store, positionals[0], { device: values.device, site: values.site, limit, format: parseFormat(values.format, ["table", "json"]) === "json" ? "json" : "table" })}\n`);
        return 0;
      } finally {
        store.close();
      }
    }
    case "serve": {
      let config;
      try {
        config = loadConfig(values.config, process.env, {
          db: values.db, site: values.site, logLevel: values["log-level"], httpPort: values["http-port"],
          netflowPorts: values.netflow, ipfixTcpPorts: values["ipfix-tcp"], captureInterfaces: values.capture, zeekDirs: values.zeek,
        });
      } catch (e) {
        if (e instanceof ConfigError) throw new UsageError(`configuration: ${e.message}`);
        throw e;
      }
      // Serve either runs or ends: a listener that cannot bind, a dead or stuck worker, ends the
      // process with 1 (sockets and the worker would otherwise keep a useless process alive).
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer(config);
      } catch (e) {
        process.stderr.write(`cordon: serve: ${(e as Error).message}\n`);
        process.exit(1);
      }
      let signals = 0;
      const onSignal = (sig: string): void => {
        // A second signal while flushing waits for the flush: what was read is being stored.
        process.stderr.write(signals++ === 0 ? `cordon: ${sig}: stopping\n` : `cordon: ${sig}: already stopping, waiting for the flush to finish\n`);
        void server.stop();
      };
      process.on("SIGTERM", () => onSignal("SIGTERM"));
      process.on("SIGINT", () => onSignal("SIGINT"));
      return process.exit(await server.done);
    }
    case "train": {
      if (!values.labels) throw new UsageError("train needs --labels LABELS.json");
      if (positionals.length === 0) throw new UsageError("train needs at least one CAPTURE");
      const m = await trainOnCaptures(values.labels, positionals);
      const out = values.out ?? "./behaviour-model.json";
      writeFileSync(out, `${JSON.stringify(m)}\n`);
      const classes = Object.entries(m.trained.perClass).map(([c, n]) => `${c} ${n}`).join(", ");
      process.stdout.write(`${out}: ${m.trained.devices} devices, ${m.classes.length} categories (${classes})\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

/** Plain-text form of a device's detail for people. */
function textDetail(d: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(d)) {
    if (k === "addresses" || k === "facts" || k === "evidence" || k === "verdict_history") continue;
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue;
    lines.push(`${k}: ${typeof v === "object" && !Array.isArray(v) ? JSON.stringify(v) : Array.isArray(v) ? v.join(", ") : String(v)}`);
  }
  lines.push("evidence:");
  for (const e of d.evidence as { rule: string; weight: number; supports: string; facts: { kind: string; value: string }[] }[]) {
    lines.push(`  ${e.rule} (${e.weight}) for ${e.supports}: ${e.facts.map((f) => `${f.kind}=${f.value}`).join("; ")}`);
  }
  lines.push("verdict history:");
  for (const h of d.verdict_history as { category: string; vendor: string | null; confidence: number; decided: string }[]) {
    lines.push(`  ${h.decided} ${h.category}${h.vendor ? ` (${h.vendor})` : ""} confidence ${h.confidence}`);
  }
  lines.push("addresses:");
  for (const a of d.addresses as { ip: string; origin: string; first_seen: string; last_seen: string; evidence: { source: string; packet: number } }[]) {
    lines.push(`  ${a.ip} (${a.origin}) ${a.first_seen} .. ${a.last_seen}  [${a.evidence.source} #${a.evidence.packet}]`);
  }
  lines.push("facts:");
  for (const f of d.facts as { kind: string; value: string; count: number; evidence: { source: string; packet: number; time: string } }[]) {
    lines.push(`  ${f.kind} = ${f.value}  ×${f.count}  [${f.evidence.source} #${f.evidence.packet} at ${f.evidence.time}]`);
  }
  return lines.join("\n");
}

// Output piped into `head` and the like: a closed pipe ends the command quietly.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError || (e instanceof TypeError && (e as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS"))) {
      process.stderr.write(`cordon: ${(e as Error).message}\nRun 'cordon --help' for usage.\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`cordon: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
