import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { elementText } from "../src/baseline/baseline.js";
import { type DnsAnswer, formatDnsAnswer, parseDnsAnswer } from "../src/model/dns-answer.js";
import { type OtOperation, formatOtOperation, operationTarget, parseOtOperation } from "../src/model/ot-operation.js";

describe("fact values with a format and its parser side by side", () => {
  it("a DNS answer reads back as it was written, lower-cased; other text is not an answer", () => {
    const answers: DnsAnswer[] = [
      { name: "Cloud.Example.com", type: "A", data: "52.1.2.3" },
      { name: "x.example", type: "AAAA", data: "2001:DB8::1" },
      { name: "www.example.com", type: "CNAME", data: "edge.cdn.example.net" },
    ];
    for (const a of answers) assert.deepEqual(parseDnsAnswer(formatDnsAnswer(a)), { ...a, name: a.name.toLowerCase(), data: a.data.toLowerCase() });
    for (const bad of ["", "name", "name A", "name A ", "name MX mail.example.com", " A 1.2.3.4"]) assert.equal(parseDnsAnswer(bad), undefined, JSON.stringify(bad));
  });

  it("an OT operation reads back whole, detail included, whatever the detail holds", () => {
    const ops: OtOperation[] = [
      { op: "s7.stop", direction: "to", peer: "10.0.0.5" },
      { op: "modbus.write-single-register", direction: "from", peer: "10.0.0.9", detail: "register 40001 = 7" },
      { op: "profinet-dcp.set", direction: "to", peer: "00:0e:8c:01:02:03", detail: "name (station) \"plc-1\"" },
    ];
    for (const o of ops) assert.deepEqual(parseOtOperation(formatOtOperation(o)), o);
    assert.equal(operationTarget(formatOtOperation(ops[1])), "modbus.write-single-register from 10.0.0.9");
    for (const bad of ["", "s7.stop", "s7.stop at 10.0.0.5", "s7.stop to"]) assert.equal(parseOtOperation(bad), undefined, JSON.stringify(bad));
  });

  it("random text is never a crash: each parser returns a value or undefined", () => {
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const alphabet = " ()AtofromCNAME.:-_0123456789abcxyz\u0000\n\u202e";
    for (let i = 0; i < 5000; i++) {
      const text = Array.from({ length: rnd(40) }, () => alphabet[rnd(alphabet.length)]).join("");
      const a = parseDnsAnswer(text);
      if (a) assert.deepEqual(parseDnsAnswer(formatDnsAnswer(a)), { ...a, name: a.name.toLowerCase(), data: a.data.toLowerCase() }, JSON.stringify(text));
      const o = parseOtOperation(text);
      if (o) assert.deepEqual(parseOtOperation(formatOtOperation(o)), o, JSON.stringify(text));
    }
  });

  it("a behaviour element has one text, the same from baseline and detector", () => {
    assert.equal(elementText({ direction: "initiates", peer: "dns:cloud.example.com", proto: "tcp", port: 443 }), "initiates|dns:cloud.example.com|tcp|443");
  });
});
