import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type DeviceFacts, classify } from "../src/classify/classify.js";
import { evaluate, vendorMatches } from "../src/classify/evaluate.js";
import { RuleError, compileRuleFile, loadRules } from "../src/classify/rules.js";
import { HAVE_CORPUS, NO_CORPUS, corpus, runCli, tmpDir } from "./helpers.js";

function device(facts: Record<string, string[]>, extra: Partial<DeviceFacts> = {}): DeviceFacts {
  return { ouiVendor: null, router: false, hostnames: [], facts: new Map(Object.entries(facts)), ...extra };
}

describe("classifier", () => {
  const rules = compileRuleFile("test.json", {
    vendor: "Axis Communications",
    rules: [
      { id: "oui", when: { oui_vendor: "^Axis" }, weight: 0.6 },
      { id: "vc", when: { "dhcp.vendor_class": "^AXIS," }, category: "camera", weight: 0.9,
        model: { from: "dhcp.vendor_class", pattern: "^AXIS,[^,]*,([^,]+)" } },
      { id: "rtsp", when: { "rtsp.server": "." }, category: "camera", weight: 0.4 },
      { id: "nvr", when: { "rtsp.url": "^rtsp://" }, minValues: 3, category: "nvr", weight: 0.8 },
    ],
  });

  it("combines evidence, reads the model, and lists what supported the verdict", () => {
    const v = classify(device({ "dhcp.vendor_class": ["AXIS,Network Camera,P3245-LV,10.12"], "rtsp.server": ["AXIS"] }, { ouiVendor: "Axis Communications AB" }), rules);
    assert.equal(v.category, "camera");
    assert.equal(v.vendor, "Axis Communications");
    assert.equal(v.model, "P3245-LV");
    assert.equal(v.confidence, 0.94, "1 - (1 - 0.9) × (1 - 0.4)");
    assert.equal(v.criticality, "sensitive-data");
    assert.deepEqual(v.evidence.map((e) => e.rule), ["test.json:oui", "test.json:vc", "test.json:rtsp"]);
    assert.deepEqual(v.evidence[1].facts, [{ kind: "dhcp.vendor_class", value: "AXIS,Network Camera,P3245-LV,10.12" }]);
  });

  it("says unknown when the evidence is weak, and still shows it", () => {
    const v = classify(device({ "rtsp.server": ["GStreamer"] }), rules);
    assert.equal(v.category, "unknown");
    assert.equal(v.confidence, 0);
    assert.equal(v.evidence.length, 1);
  });

  it("needs several distinct values where a rule asks for them", () => {
    const two = classify(device({ "rtsp.url": ["rtsp://a/1", "rtsp://b/1"] }), rules);
    const three = classify(device({ "rtsp.url": ["rtsp://a/1", "rtsp://b/1", "rtsp://c/1"] }), rules);
    assert.deepEqual([two.category, three.category], ["unknown", "nvr"]);
  });

  it("treats an unknown device that speaks an OT protocol as physical-process", () => {
    assert.equal(classify(device({ "modbus.client": ["read-coils"] }), rules).criticality, "life-safety/physical-process");
    assert.equal(classify(device({ "dns.query": ["example.com"] }), rules).criticality, "standard");
  });

  it("rejects malformed rule files with the file and rule named", () => {
    assert.throws(() => compileRuleFile("bad.json", { rules: [{ id: "x", when: { a: "(" }, category: "camera", weight: 0.5 }] }), /bad\.json: rule x: when\.a/);
    assert.throws(() => compileRuleFile("bad.json", { rules: [{ id: "y", when: {}, category: "toaster", weight: 0.5 }] }), /unknown category "toaster"/);
    assert.throws(() => compileRuleFile("bad.json", { rules: [{ id: "z", when: {}, category: "camera", weight: 1.5 }] }), RuleError);
    const dir = tmpDir();
    mkdirSync(join(dir, "fp"));
    writeFileSync(join(dir, "fp", "broken.json"), "{ not json");
    assert.throws(() => loadRules(join(dir, "fp")), /broken\.json/);
  });

  it("ships rule files that all compile", () => {
    const shipped = loadRules();
    assert.ok(shipped.length > 50, `${shipped.length} rules`);
    assert.equal(new Set(shipped.map((r) => `${r.file}:${r.id}`)).size, shipped.length, "rule ids are unique per file");
  });

  it("matches vendor names as makers, ignoring case and the parent in parentheses", () => {
    assert.ok(vendorMatches("Blink (Amazon)", "Blink"));
    assert.ok(vendorMatches("LSC Smart Connect (Tuya platform)", "Tuya"));
    assert.ok(vendorMatches("TP-Link", "tp-link"));
    assert.ok(!vendorMatches("TP-Link", "Tuya"));
    assert.ok(!vendorMatches("Schlage (Allegion)", undefined));
    const e = evaluate([{ capture: "c", mac: "m", category: "camera", vendor: "Blink (Amazon)" }], () => ({ category: "camera", vendor: "Blink" }));
    assert.deepEqual([e.categoryCorrect, e.vendorCorrect, e.unknown], [1, 1, 0]);
  });
});

interface Labels { captures: Record<string, Record<string, { vendor: string; category: string }>> }

describe("classification of the labelled corpus devices", { skip: NO_CORPUS }, () => {
  it("gets category and maker right, and says unknown rather than guess for the two Tuya devices", () => {
    if (!HAVE_CORPUS) return;
    const labels = JSON.parse(readFileSync(corpus("labels.json"), "utf8")) as Labels;
    const r = runCli(["eval", "--labels", corpus("labels.json"), "--format", "json", ...Object.keys(labels.captures).map((c) => corpus(c))]);
    assert.equal(r.status, 0, r.stderr);
    const e = JSON.parse(r.stdout) as { devices: number; categoryCorrect: number; vendorScored: number; vendorCorrect: number; misses: { mac: string; expected: string; got: string }[] };
    assert.equal(e.devices, 7);
    assert.equal(e.vendorCorrect, e.vendorScored, "every labelled maker");
    // The Tuya lamp and door sensor say nothing of their category (a Tuya OUI, a Tuya LAN
    // beacon with a product key, TLS): the rules cannot name one. The behavioural model, trained
    // on lab sites, is not sure enough either (the lamp has three flows; the sensor leans
    // towards "sensor" below the threshold), so Cordon must not guess.
    assert.deepEqual(e.misses.map((m) => `${m.mac} ${m.got}`).sort(), ["b8:06:0d:18:84:b4 unknown", "b8:06:0d:3b:47:f8 unknown"]);
  });
});

describe("classification of PLCs and engineering stations in the OT corpus", { skip: NO_CORPUS }, () => {
  const cases: [string, string, string, string | null, string | null][] = [
    ["ITI-ICS-Security-Tools/pcaps/s7/s7comm_downloading_block_db1.pcap", "00:1b:1b:23:eb:3b", "plc", "Siemens", null],
    ["ITI-ICS-Security-Tools/pcaps/s7/s7comm_downloading_block_db1.pcap", "90:e6:ba:84:5e:41", "engineering-workstation", null, null],
    ["ITI-ICS-Security-Tools/pcaps/s7/snap7_s300_everything.pcapng", "00:0e:8c:d0:f9:cb", "plc", "Siemens", "6ES7 315-2EH14-0AB0"],
    ["ITI-ICS-Security-Tools/pcaps/EthernetIP/cip_stop_plc.pcap", "f4:54:33:93:33:51", "plc", "Rockwell Automation", null],
    ["ITI-ICS-Security-Tools/pcaps/EthernetIP/enip_test.pcap", "00:19:07:24:3c:ca", "plc", "Rockwell Automation", "1756-ENBT/A"],
    ["ControlThings-ct-samples/Protocols/BACnet/BACnet-BBMD-on-same-subnet.cap", "00:e0:c9:00:10:a5", "building-controller", "Automated Logic", null],
  ];
  for (const [rel, mac, category, vendor, model] of cases) {
    it(`${rel.split("/").pop()}: ${mac} is ${category}${vendor ? ` by ${vendor}` : ""}`, () => {
      const r = runCli(["analyze", "--db", join(tmpDir(), "c.db"), "--format", "json", corpus(rel)]);
      const d = (JSON.parse(r.stdout) as { devices: { mac: string; category: string; vendor: string | null; model: string | null; criticality: string }[] }).devices.find((x) => x.mac === mac)!;
      assert.equal(d.category, category);
      if (vendor) assert.equal(d.vendor, vendor);
      if (model) assert.equal(d.model, model);
      assert.equal(d.criticality, "life-safety/physical-process");
    });
  }
});

describe("the maker from the OUI when the registry names a device maker", () => {
  it("names D-Link, TP-Link, Belkin, Edimax and Philips Hue from the OUI alone, with lower confidence than a rule that identifies; never a chip maker", () => {
    const rules = loadRules();
    const of = (ouiVendor: string): DeviceFacts => ({ ouiVendor, router: false, hostnames: [], facts: new Map() });
    for (const [oui, maker] of [["D-Link International", "D-Link"], ["TP-LINK TECHNOLOGIES CO.,LTD.", "TP-Link"], ["Belkin International Inc.", "Belkin"],
      ["Edimax Technology Co. Ltd.", "Edimax"], ["Signify B.V.", "Signify (Philips Hue)"]]) {
      const v = classify(of(oui), rules);
      assert.equal(v.vendor, maker, oui);
      assert.ok(v.evidence.some((e) => e.facts.some((f) => f.kind === "oui_vendor")), "the OUI is the evidence");
    }
    for (const chip of ["Espressif Inc.", "Texas Instruments", "Realtek Semiconductor Corp.", "Hon Hai Precision Ind. Co.,Ltd."]) assert.equal(classify(of(chip), rules).vendor, undefined, chip);
  });
});
