import { basename } from "node:path";
import { canonicalMac } from "../model/mac.js";
import { canonicalIp } from "../model/values.js";
import type { DeviceChange } from "../inventory/inventory.js";
import type { StoredFact } from "../inventory/inventory.js";
import type { Store } from "../store/store.js";
import type { Actor } from "./actor.js";
import { recordChange } from "./actor.js";
import { InputError } from "./errors.js";
import { readTableFile, textField } from "./table-file.js";

/**
 * What a CMDB knows of devices, imported as facts (`asset.vendor`, `asset.product`,
 * `asset.model`, `asset.firmware`, `asset.serial`) with the file as their evidence: the
 * firmware and vulnerability views read them beside what the network shows. A device is named
 * by its MAC or its address; one the network has not shown yet is added, with no packets.
 */

const FIELDS = ["vendor", "product", "model", "firmware", "serial"] as const;

export interface AssetRow {
  mac?: string;
  ip?: string;
  values: Partial<Record<(typeof FIELDS)[number], string>>;
  where: string;
}

/** The rows of an asset file: `mac` or `ip`, and at least one of vendor, product, model, firmware, serial. */
export function readAssetList(path: string): AssetRow[] {
  const rows = readTableFile(path, []);
  if (rows.length > 0 && !rows.some((r) => "mac" in r.fields || "ip" in r.fields)) throw new InputError(`${path}: an asset list needs a mac or an ip column`);
  return rows.map(({ where, fields }) => {
    const macText = textField(fields.mac, "mac", where);
    const ipText = textField(fields.ip, "ip", where);
    const mac = macText === undefined ? undefined : canonicalMac(macText);
    if (macText !== undefined && mac === undefined) throw new InputError(`${where}: "${macText}" is not a MAC address`);
    const ip = ipText === undefined ? undefined : canonicalIp(ipText);
    if (ipText !== undefined && ip === undefined) throw new InputError(`${where}: "${ipText}" is not an IP address`);
    if (mac === undefined && ip === undefined) throw new InputError(`${where}: a device needs a mac or an ip`);
    const values: AssetRow["values"] = {};
    for (const f of FIELDS) {
      const v = textField(fields[f], f, where);
      if (v !== undefined) values[f] = v;
    }
    if (Object.keys(values).length === 0) throw new InputError(`${where}: nothing to import (${FIELDS.join(", ")})`);
    return { mac, ip, values, where };
  });
}

export interface AssetImport {
  /** Devices that existed and got facts; devices added because the network has not shown them yet. */
  updated: string[];
  added: string[];
}

/** Adds the rows' facts to the devices they name, at `site`, and audits the import. */
export function importAssets(store: Store, path: string, site: string, by: Actor, now = Date.now()): AssetImport {
  const rows = readAssetList(path);
  const nowUs = now * 1000;
  const source = `assets:${basename(path)}`;
  const out: AssetImport = { updated: [], added: [] };
  const changes: DeviceChange[] = [];
  for (const r of rows) {
    const found = store.findDevices(r.mac ?? r.ip!).filter((d) => d.site === site);
    const existing = found[0];
    const key = existing?.key ?? r.mac ?? `ip:${r.ip}`;
    const facts: StoredFact[] = Object.entries(r.values).map(([k, v]) => ({ kind: `asset.${k}`, value: v, firstUs: nowUs, lastUs: nowUs, count: 1, source, packet: 0 }));
    changes.push({
      site, key, mac: existing ? existing.mac : r.mac ?? null, ouiVendor: existing?.ouiVendor ?? null, localMac: existing?.localMac ?? false, router: existing?.router ?? false,
      // An existing device keeps the times the network showed it; a new one is dated by the import.
      firstUs: existing?.firstUs ?? nowUs, lastUs: existing?.lastUs ?? nowUs,
      packetsOut: 0, packetsIn: 0, bytesOut: 0, bytesIn: 0, dropTrafficAddresses: false,
      addresses: !existing && r.ip ? [{ ip: r.ip, origin: "asset", firstUs: nowUs, lastUs: nowUs, source, packet: 0 }] : [],
      endpoints: [], facts,
    });
    (existing ? out.updated : out.added).push(key);
  }
  store.saveDevices(changes);
  recordChange(store, by, { action: "assets.import", target: basename(path), site, detail: `${rows.length} rows: ${out.updated.length} devices updated, ${out.added.length} added` });
  return out;
}
