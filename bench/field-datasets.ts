/**
 * The labelled public datasets outside the corpus (bench/field-labels.json), found where they
 * were checked out (one environment variable each): per dataset, its labelled devices and the
 * captures each appears in. A dataset whose folder is not given is skipped with a message.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface Label { vendor: string; model: string; category: string; note?: string }
interface Labels {
  datasets: {
    "iot-sentinel": { env: string; folders: Record<string, Label> };
    "tj-oconnor": { env: string; captures: Record<string, Record<string, Label>> };
    madea: { env: string; folders: string[]; devices: Record<string, Label> };
  };
}
/** A labelled device and the captures that may show it. */
export interface FieldDevice { label: Label; mac: string; files: string[] }

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const labels = JSON.parse(readFileSync(join(root, "bench", "field-labels.json"), "utf8")) as Labels;

/** A git-lfs pointer, not a capture: the repository holds the capture elsewhere. */
function lfsPointer(file: string): boolean {
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(24);
    readSync(fd, head, 0, head.length, 0);
    return head.toString("latin1").startsWith("version https://git-lfs");
  } finally {
    closeSync(fd);
  }
}

function folder(env: string, what: string): string | undefined {
  const dir = process.env[env];
  if (dir && existsSync(dir)) return dir;
  console.log(`skipped: set ${env} to ${what}`);
  return undefined;
}

/** Each dataset found, by name: its devices by name. */
export function fieldDatasets(): Map<string, Map<string, FieldDevice>> {
  const out = new Map<string, Map<string, FieldDevice>>();
  const sentinel = folder(labels.datasets["iot-sentinel"].env, "the captures_IoT-Sentinel folder of github.com/andypitcher/IoT_Sentinel");
  if (sentinel) {
    const devices = new Map<string, FieldDevice>();
    for (const [name, label] of Object.entries(labels.datasets["iot-sentinel"].folders)) {
      const dir = join(sentinel, name);
      const mac = readFileSync(join(dir, "_iotdevice-mac.txt"), "utf8").trim().slice(0, 17).toLowerCase();
      devices.set(name, { label, mac, files: readdirSync(dir).filter((f) => f.endsWith(".pcap")).sort().map((f) => join(dir, f)) });
    }
    out.set("iot-sentinel", devices);
  }
  const tj = folder(labels.datasets["tj-oconnor"].env, "the pcaps folder of github.com/tj-oconnor/IoT-Dataset");
  if (tj) {
    const devices = new Map<string, FieldDevice>();
    for (const [file, byMac] of Object.entries(labels.datasets["tj-oconnor"].captures)) {
      const path = join(tj, file);
      if (!existsSync(path) || lfsPointer(path)) {
        console.log(`tj-oconnor: ${file} skipped (absent, or a git-lfs pointer)`);
        continue;
      }
      const [mac, label] = Object.entries(byMac)[0];
      devices.set(file.replace(/\.pcap$/, ""), { label, mac, files: [path] });
    }
    out.set("tj-oconnor", devices);
  }
  const madea = folder(labels.datasets.madea.env, "the dataset/traffic folder of github.com/sprout-uci/madea");
  if (madea) {
    const files = labels.datasets.madea.folders.flatMap((f) => readdirSync(join(madea, f)).filter((n) => n.endsWith(".cap")).sort().map((n) => join(madea, f, n)));
    const devices = new Map<string, FieldDevice>();
    for (const [mac, label] of Object.entries(labels.datasets.madea.devices)) devices.set(label.model, { label, mac, files });
    out.set("madea", devices);
  }
  return out;
}
