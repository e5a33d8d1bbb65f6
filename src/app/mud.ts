import { readFileSync } from "node:fs";
import { macToString, parseMac } from "../net/addr.js";
import { MudError, type MudProfile, parseMud } from "../policy/mud/import.js";
import { mudRules } from "../policy/mud/rules.js";
import type { Store } from "../store/store.js";
import { type PolicyFile, policyFileOf } from "./policies.js";
import { learnDevices } from "./site-devices.js";
import { InputError } from "./errors.js";
import { type Actor, recordChange } from "./actor.js";
import { mudFor, storedPolicy } from "./policies.js";

/**
 * `cordon mud import FILE...`: every file validated before any is kept, so a bad file leaves
 * the store as it was. Returns, per file, its URL, ACE count, what Cordon makes of it, and the
 * site's devices that announced or were assigned the URL.
 */
export function importMudFiles(store: Store, files: string[], site: string): { file: string; url: string; aces: number; rules: number; review: string[]; devices: string[] }[] {
  const parsed: { file: string; text: string; profile: MudProfile }[] = [];
  for (const file of files) {
    let text: string;
    let doc: unknown;
    try {
      text = readFileSync(file, "utf8");
      doc = JSON.parse(text);
    } catch (e) {
      throw new InputError(`${file}: ${(e as Error).message} (nothing imported)`);
    }
    try {
      parsed.push({ file, text, profile: parseMud(doc, file) });
    } catch (e) {
      if (e instanceof MudError) throw new InputError(`${e.message} (nothing imported)`);
      throw e;
    }
  }
  const at = new Date().toISOString();
  store.saveMudProfiles(parsed.map((p) => ({ url: p.profile.url, body: p.text, source: p.file, at })));
  const users = mudUsers(store, site);
  return parsed.map((p) => {
    const m = mudRules(p.profile, `mud:${p.profile.url}`);
    return { file: p.file, url: p.profile.url, aces: p.profile.aces.length, rules: m.rules.length, review: m.review, devices: users.get(p.profile.url) ?? [] };
  });
}

/** MUD URL → the site's devices that announced it (DHCP option 161, LLDP) or were assigned it. */
export function mudUsers(store: Store, site: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const d of learnDevices(store, site)) {
    if (!d.mudUrl) continue;
    out.set(d.mudUrl, [...(out.get(d.mudUrl) ?? []), d.key]);
  }
  return out;
}

/** `cordon mud assign`: a MUD URL for a device by hand. */
export function assignMud(store: Store, site: string, device: string, url: string, by: Actor): string {
  if (!/^https:\/\/[^\s/]+/.test(url)) throw new InputError(`--url: "${url}" is not an https URL`);
  const mac = parseMac(device);
  const found = store.devices(site).find((d) => (mac !== undefined && d.mac === macToString(mac)) || d.key === device);
  if (!found) throw new InputError(`no device ${device} at site ${site}`);
  const key = found.mac ?? found.key;
  store.assignMud({ site, deviceKey: key, url, by: by.name, at: new Date().toISOString() });
  recordChange(store, by, { action: "mud.assign", target: key, detail: url, site });
  return key;
}

/** `cordon mud export --device MAC`: the device's group in a policy (default: the newest stored) as a MUD file. */
export function exportDeviceMud(store: Store, device: string, policy: PolicyFile | undefined, url: string | undefined): Record<string, unknown> {
  const f = policy ?? policyFileOf(storedPolicy(store, "latest"));
  const mac = parseMac(device);
  const key = mac !== undefined ? macToString(mac) : device;
  const group = Object.entries(f.policy.groups).find(([, members]) => members.includes(key))?.[0];
  if (!group) throw new InputError(`${device} is in no group of policy ${f.policy.name} version ${f.policy.version}`);
  return mudFor(f, group, url);
}
