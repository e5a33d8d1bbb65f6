import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { analyzeCaptures } from "../src/app/analyze-captures.js";
import { Store } from "../src/store/store.js";
import { HAVE_CORPUS, NO_CORPUS, NO_TSHARK, captureRows, corpus, tmpDir, tsharkFields } from "./helpers.js";

/** Facts of one kind per MAC, as "mac value" strings, from a fresh analysis of one capture. */
async function cordonFacts(file: string, kinds: string[]): Promise<Map<string, Set<string>>> {
  const store = new Store(join(tmpDir(), "t.db"));
  try {
    await analyzeCaptures(store, [file], "default");
    const out = new Map<string, Set<string>>(kinds.map((k) => [k, new Set<string>()]));
    for (const d of store.devices()) {
      for (const f of d.facts) if (out.has(f.kind)) out.get(f.kind)!.add(`${d.mac} ${f.value}`);
    }
    return out;
  } finally {
    store.close();
  }
}

function capturesWith(protocol: string): string[] {
  return captureRows().filter((r) => r.protocols.includes(protocol) && r.linktype === "Ethernet").map((r) => r.path);
}

const skip = NO_CORPUS || NO_TSHARK;

describe("DHCP identity equals tshark's", { skip }, () => {
  const files = HAVE_CORPUS ? capturesWith("dhcp") : [];
  for (const rel of files) {
    it(rel, async () => {
      const file = corpus(rel);
      const rows = tsharkFields(file, "dhcp.type == 1", ["dhcp.hw.mac_addr", "dhcp.option.hostname", "dhcp.option.request_list_item", "dhcp.option.vendor_class_id"]);
      const expect = { host: new Set<string>(), list: new Set<string>(), vendor: new Set<string>() };
      for (const [macs, host, list, vendor] of rows) {
        // The client identifier option repeats the hardware address field: take the header's.
        const mac = macs.split(",")[0];
        if (!mac) continue;
        if (host) expect.host.add(`${mac} ${host.trim()}`);
        if (list) expect.list.add(`${mac} ${list}`);
        if (vendor) expect.vendor.add(`${mac} ${vendor.trim()}`);
      }
      const got = await cordonFacts(file, ["dhcp.hostname", "dhcp.param_list", "dhcp.vendor_class"]);
      assert.deepEqual([...got.get("dhcp.hostname")!].sort(), [...expect.host].sort(), "option 12 host names");
      assert.deepEqual([...got.get("dhcp.param_list")!].sort(), [...expect.list].sort(), "option 55 lists");
      assert.deepEqual([...got.get("dhcp.vendor_class")!].sort(), [...expect.vendor].sort(), "option 60 vendor classes");
    });
  }
});

describe("LLDP and CDP system names equal tshark's", { skip }, () => {
  const lldp = HAVE_CORPUS ? capturesWith("lldp") : [];
  const cdp = HAVE_CORPUS ? capturesWith("cdp") : [];
  for (const rel of lldp) {
    it(`LLDP ${rel}`, async () => {
      const file = corpus(rel);
      const expect = new Set(tsharkFields(file, "lldp", ["eth.src", "lldp.tlv.system.name"])
        .filter(([, n]) => n).map(([mac, n]) => `${mac} ${n}`));
      const got = (await cordonFacts(file, ["lldp.system_name"])).get("lldp.system_name")!;
      assert.deepEqual([...got].sort(), [...expect].sort());
    });
  }
  for (const rel of cdp) {
    it(`CDP ${rel}`, async () => {
      const file = corpus(rel);
      const expect = new Set(tsharkFields(file, "cdp", ["eth.src", "cdp.deviceid"])
        .filter(([, n]) => n).map(([mac, n]) => `${mac} ${n}`));
      assert.ok(expect.size > 0, "tshark finds CDP device ids");
      const got = (await cordonFacts(file, ["cdp.device_id"])).get("cdp.device_id")!;
      assert.deepEqual([...got].sort(), [...expect].sort());
    });
  }
});
