import { ConfigError, loadConfig } from "../../serve/config.js";
import type { startServer as StartServer } from "../../serve/server.js";
import { UsageError } from "../output.js";
import { COMMON } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "serve",
  summary: "run continuously: live capture, NetFlow/IPFIX, Zeek logs, RADIUS; /healthz, /metrics, /api",
  help: `Usage: cordon serve [--config FILE] [--db PATH] [--site NAME] [--http-port N]
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
  db: ./cordon.db               # or postgres://user:password@host/database (sensors may share one)
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
  max_held_flows: 1000000       # finished flows kept while the database is away (oldest go past it, counted)
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
  options: {
    capture: { type: "string", multiple: true },
    config: { type: "string" },
    db: { type: "string" },
    "http-port": { type: "string" },
    "ipfix-tcp": { type: "string", multiple: true },
    "log-level": { type: "string" },
    netflow: { type: "string", multiple: true },
    site: { type: "string" },
    zeek: { type: "string", multiple: true },
  },
  async run({ values }) {
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
    let server: Awaited<ReturnType<typeof StartServer>>;
    try {
      // Loaded here, not with the CLI: the HTTP stack (Fastify) would add 0.1 s to every command.
      const { startServer } = await import("../../serve/server.js");
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
  },
});
