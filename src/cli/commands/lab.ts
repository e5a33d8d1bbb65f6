import { mkdirSync } from "node:fs";
import { DEFAULT_LAB, LAB_SITES, type LabSite, generateLab } from "../../lab/generate.js";
import { TRUST_SITE_DEVICES } from "../../lab/trust-site.js";
import { UsageError } from "../output.js";
import { COMMON } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "lab",
  summary: "write a synthetic site: capture plus ground-truth labels",
  help: `Usage: cordon lab [--out DIR] [--site mixed|ot-trust] [--devices N] [--duration SECONDS] [--seed N] [--scenarios LIST|all]

Writes DIR/lab.pcapng (default DIR: ./lab) with a synthetic site's traffic (cameras and an
NVR, BACnet controllers and a BMS server, Modbus and S7 PLCs with HMI and engineering
workstation, infusion pumps and their server, printers, VoIP phones and a PBX, workstations,
smart plugs (TP-Link, Tuya), Tuya bulbs, battery door sensors, thermostats, smart TVs,
DNS/DHCP/NTP and a gateway) and DIR/labels.json with the ground truth and the injected
scenarios. Scenarios: port-scan, telnet-brute-force, dga-dns,
exfiltration, plc-stop, new-peer. The same seed gives the same capture.

--site ot-trust writes a plant with a known trust structure instead (${TRUST_SITE_DEVICES} devices by default):
an engineering workstation programming S7 PLCs and reaching the internet, an HMI writing to
Modbus PLCs, a BMS commanding BACnet controllers, a vendor's remote-access box with VNC to the
BMS, an NMS sharing one SNMP community with every switch and printer, cameras of two makers
running one embedded web server and updated from one server; labels.json holds the structure
under "trust" (cordon trust --help).

${COMMON}`,
  options: {
    devices: { type: "string" },
    duration: { type: "string" },
    out: { type: "string" },
    scenarios: { type: "string" },
    seed: { type: "string" },
    site: { type: "string" },
  },
  async run({ values }) {
    const int = (v: string | undefined, name: string, dflt: number): number => {
      if (v === undefined) return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer`);
      return n;
    };
    const site = (values.site ?? "mixed") as LabSite;
    if (!LAB_SITES.includes(site)) throw new UsageError(`--site must be one of ${LAB_SITES.join(", ")}`);
    const dir = values.out ?? "./lab";
    mkdirSync(dir, { recursive: true });
    const r = generateLab(dir, {
      ...DEFAULT_LAB,
      site,
      devices: int(values.devices, "devices", site === "ot-trust" ? TRUST_SITE_DEVICES : DEFAULT_LAB.devices),
      durationS: int(values.duration, "duration", DEFAULT_LAB.durationS),
      seed: int(values.seed, "seed", DEFAULT_LAB.seed),
      scenarios: values.scenarios ? values.scenarios.split(",").map((x) => x.trim()).filter(Boolean) : [],
    });
    process.stdout.write(`${r.pcap}: ${r.frames} frames, ${r.devices} devices${r.scenarios.length ? `, scenarios: ${r.scenarios.map((x) => x.name).join(", ")}` : ""}\n${r.labels}\n`);
    return 0;
  },
});
