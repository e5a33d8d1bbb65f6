import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { dicom } from "../src/dissect/dicom.js";
import { ACK, PSH, SYN, ethernet, ipv4, tcp } from "../src/lab/craft.js";
import { writePcap } from "../src/lab/capture-writer.js";
import { classify } from "../src/classify/classify.js";
import { loadRules } from "../src/classify/rules.js";
import { deviceFacts } from "../src/classify/device-facts.js";
import { NO_TSHARK, inventoryOf, runDissector as run, tmpDir, tsharkFields } from "./helpers.js";

const CT = "1.2.840.10008.5.1.4.1.1.2";
const ENHANCED_CT = "1.2.840.10008.5.1.4.1.1.2.1";
const IMPLICIT_LE = "1.2.840.10008.1.2";

/** A DICOM item: type, a reserved byte, its length, then its content (PS3.8 9.3.2). */
function item(type: number, content: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h[0] = type;
  h.writeUInt16BE(content.length, 2);
  return Buffer.concat([h, content]);
}
const uid = (type: number, s: string) => item(type, Buffer.from(s, "latin1"));

/** An A-ASSOCIATE-RQ (type 1) or -AC (type 2) PDU as PS3.8 9.3.2 and 9.3.3 lay it out. */
function associate(type: 1 | 2, o: { called: string; calling: string; abstracts?: string[]; implementation: string; version: string }): Buffer {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(1, 0);
  fixed.write(o.called.padEnd(16, " "), 4, "latin1");
  fixed.write(o.calling.padEnd(16, " "), 20, "latin1");
  const contexts = type === 1
    ? (o.abstracts ?? []).map((a, i) => item(0x20, Buffer.concat([Buffer.from([1 + 2 * i, 0, 0, 0]), uid(0x30, a), uid(0x40, IMPLICIT_LE)])))
    : [item(0x21, Buffer.concat([Buffer.from([1, 0, 0, 0]), uid(0x40, IMPLICIT_LE)]))];
  const maxLength = Buffer.alloc(4);
  maxLength.writeUInt32BE(16384);
  const user = item(0x50, Buffer.concat([item(0x51, maxLength), uid(0x52, o.implementation), uid(0x55, o.version)]));
  const body = Buffer.concat([fixed, uid(0x10, "1.2.840.10008.3.1.1.1"), ...contexts, user]);
  const h = Buffer.alloc(6);
  h[0] = type;
  h.writeUInt32BE(body.length, 2);
  return Buffer.concat([h, body]);
}

const scanner = { called: "PACS", calling: "CT_SCANNER1", abstracts: [CT, ENHANCED_CT], implementation: "1.2.840.113619.6.94", version: "GEHC_CT_ADW1" };
const facts = (r: { facts: string[] }) => {
  const out = new Map<string, string[]>();
  for (const f of r.facts) out.set(f.slice(0, f.indexOf("=")), [...(out.get(f.slice(0, f.indexOf("="))) ?? []), f.slice(f.indexOf("=") + 1)]);
  return out;
};
const verdict = (m: Map<string, string[]>) => classify({ ouiVendor: undefined, router: false, hostnames: [], facts: m }, loadRules());

describe("DICOM: a modality opening an association says what it is and who made its software", () => {
  it("reads the calling AE title, the modalities it proposes to store and its implementation UID and version", () => {
    const r = run(dicom, associate(1, scanner));
    assert.deepEqual(r, { ok: true, ops: [], facts: ["dicom.ae_title=CT_SCANNER1", "dicom.implementation_uid=1.2.840.113619.6.94", "dicom.implementation_version=GEHC_CT_ADW1", "dicom.stores=CT"] });
    const v = verdict(facts(r));
    assert.deepEqual([v.category, v.vendor, v.firmware, v.criticality], ["medical-device", "GE HealthCare", "GEHC_CT_ADW1", "life-safety/physical-process"]);
  });

  it("an archive forwarding many modalities, a request cut across segments and the acceptor's answer make no modality", () => {
    const forward = run(dicom, associate(1, { ...scanner, calling: "PACS_ROUTER", abstracts: ["1.2.840.10008.5.1.4.1.1.1", CT, "1.2.840.10008.5.1.4.1.1.4", "1.2.840.10008.5.1.4.1.1.6.1", "1.2.840.10008.5.1.4.1.1.1.2"] }));
    assert.ok(forward.facts.includes("dicom.stores=CR,CT,MG,MR,US"));
    assert.equal(verdict(facts(forward)).category, "unknown");
    const whole = associate(1, scanner);
    assert.ok(!run(dicom, whole.subarray(0, whole.length - 20)).facts.some((f) => f.startsWith("dicom.stores")), "a request not whole in the segment proposes nothing");
    const answer = run(dicom, associate(2, { called: "PACS", calling: "CT_SCANNER1", implementation: "1.2.276.0.7230010.3.0.3.6.4", version: "OFFIS_DCMTK_364" }));
    assert.deepEqual(answer.facts, ["dicom.ae_title=PACS", "dicom.implementation_uid=1.2.276.0.7230010.3.0.3.6.4", "dicom.implementation_version=OFFIS_DCMTK_364"]);
    assert.equal(verdict(facts(answer)).category, "unknown");
  });

  it("anything else is not an association; hostile items stay inside the PDU and out of the facts", () => {
    assert.equal(run(dicom, Buffer.from("GET / HTTP/1.1\r\n\r\n")).ok, false);
    const bad = associate(1, scanner);
    bad[15] = 0x07;
    assert.equal(run(dicom, bad).ok, false, "an AE title with a control byte");
    const liar = associate(1, scanner);
    liar.writeUInt16BE(0xffff, 74 + 2);
    assert.doesNotThrow(() => run(dicom, liar));
    const evil = run(dicom, associate(1, { ...scanner, version: "GE\u0000\u001b[2J" }));
    assert.ok(!evil.facts.some((f) => f.startsWith("dicom.implementation_version")), evil.facts.join(" "));
    const release = Buffer.from([0x05, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00]);
    assert.deepEqual(run(dicom, release), { facts: [], ops: [], ok: true });
  });

  it("tshark's DICOM dissector reads the same AE title, abstract syntaxes and implementation from the same capture; Cordon names the modality", { skip: NO_TSHARK }, async () => {
    const ct = { mac: "00:1b:66:00:00:01", ip: "10.20.0.10" };
    const pacs = { mac: "02:00:00:00:00:30", ip: "10.20.0.30" };
    const toPacs = (flags: number, seq: number, payload?: Buffer) => ethernet(pacs.mac, ct.mac, 0x0800, ipv4({ src: ct.ip, dst: pacs.ip, proto: 6 }, tcp(40001, 104, flags, seq, payload)));
    const fromPacs = (flags: number, seq: number, payload?: Buffer) => ethernet(ct.mac, pacs.mac, 0x0800, ipv4({ src: pacs.ip, dst: ct.ip, proto: 6 }, tcp(104, 40001, flags, seq, payload)));
    const rq = associate(1, scanner);
    const ac = associate(2, { called: "PACS", calling: "CT_SCANNER1", implementation: "1.2.276.0.7230010.3.0.3.6.4", version: "OFFIS_DCMTK_364" });
    const file = join(tmpDir("dicom-"), "assoc.pcap");
    writeFileSync(file, writePcap([
      { tsUs: 1e15, data: toPacs(SYN, 100) }, { tsUs: 1e15 + 100, data: fromPacs(SYN | ACK, 500) },
      { tsUs: 1e15 + 200, data: toPacs(ACK | PSH, 101, rq) }, { tsUs: 1e15 + 300, data: fromPacs(ACK | PSH, 501, ac) },
    ]));
    const [row] = tsharkFields(file, "dicom.pdu.type == 1", ["dicom.assoc.ae.calling", "dicom.pctx.abss.syntax", "dicom.userinfo.uid", "dicom.userinfo.version"]);
    assert.ok(row, "tshark reads the association request");
    assert.equal(row[0].trim(), "CT_SCANNER1");
    // tshark names each syntax and gives its UID: "CT Image Storage (1.2.840.10008.5.1.4.1.1.2)".
    const syntaxes = row[1].split(/,(?=[A-Z])/).map((s) => s.trim());
    assert.deepEqual(syntaxes.map((s) => /\(([0-9.]+)\)$/.exec(s)?.[1]), [CT, ENHANCED_CT]);
    assert.ok(syntaxes.every((s) => s.includes("CT Image Storage")), syntaxes.join(" | "));
    assert.deepEqual([row[2].trim(), row[3].trim()], ["1.2.840.113619.6.94", "GEHC_CT_ADW1"]);
    const devices = await inventoryOf(file);
    const d = devices.find((x) => x.mac === ct.mac)!;
    assert.deepEqual(d.factValues("dicom.stores"), ["CT"]);
    assert.deepEqual(d.factValues("dicom.ae_title"), [row[0].trim()]);
    const v = classify(deviceFacts({ facts: d.factList(), ouiVendor: d.ouiVendor, router: d.router }), loadRules());
    assert.deepEqual([v.category, v.vendor], ["medical-device", "GE HealthCare"]);
    assert.deepEqual(devices.find((x) => x.mac === pacs.mac)!.factValues("dicom.ae_title"), ["PACS"]);
  });
});
