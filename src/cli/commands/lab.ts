import { mkdirSync } from "node:fs";
import { DEFAULT_LAB, generateLab } from "../../lab/generate.js";
import { UsageError } from "../output.js";
import { COMMON } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "lab",
  summary: "write a synthetic site: capture plus ground-truth labels",
  help: `Usage: cordon lab [--out DIR] [--devices N] [--duration SECONDS] [--seed N] [--scenarios LIST|all]

Writes DIR/lab.pcapng (default DIR: ./lab) with a synthetic site's traffic (cameras and an
NVR, BACnet controllers and a BMS server, Modbus and S7 PLCs with HMI and engineering
workstation, infusion pumps and their server, printers, VoIP phones and a PBX, workstations,
smart plugs (TP-Link, Tuya), Tuya bulbs, battery door sensors, thermostats, smart TVs,
DNS/DHCP/NTP and a gateway) and DIR/labels.json with the ground truth and the injected
scenarios. Scenarios: port-scan, telnet-brute-force, dga-dns,
exfiltration, plc-stop, new-peer. The same seed gives the same capture.

${COMMON}`,
  options: {
    devices: { type: "string" },
    duration: { type: "string" },
    out: { type: "string" },
    scenarios: { type: "string" },
    seed: { type: "string" },
  },
  async run({ values }) {
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
  },
});
