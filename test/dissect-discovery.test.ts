import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { beckhoffAds } from "../src/dissect/beckhoff-ads.js";
import { tplinkShpTcp, tplinkShpUdp } from "../src/dissect/tplink-shp.js";
import { wsDiscovery } from "../src/dissect/ws-discovery.js";
import { classify } from "../src/classify/classify.js";
import { loadRules } from "../src/classify/rules.js";
import { deviceFacts } from "../src/classify/device-facts.js";
import { NO_CORPUS, NO_TSHARK, corpus, inventoryOf, runDissector, tsharkFields } from "./helpers.js";

const run = runDissector;

/** TP-Link's autokey cipher: each byte XORed with the previous cipher byte, the first with 171. */
function autokey(text: string): Buffer {
  const clear = Buffer.from(text, "utf8");
  const out = Buffer.alloc(clear.length);
  let key = 171;
  for (let i = 0; i < clear.length; i++) key = out[i] = clear[i] ^ key;
  return out;
}

const NDPI = "ntop-nDPI-tests/tests/cfgs/default/pcap";

describe("discovery protocols that name the device", () => {
  // The answer shape python-kasa documents for an HS110 plug.
  const sysinfo = JSON.stringify({ system: { get_sysinfo: { sw_ver: "1.5.4 Build 180815 Rel.121440", hw_ver: "2.0", type: "IOT.SMARTPLUGSWITCH", model: "HS110(EU)", mac: "50:C7:BF:00:00:01", alias: "kettle", relay_state: 1 } } });

  it("TP-Link Smart Home: a plug's sysinfo answer names model, firmware and type, over UDP and over TCP", () => {
    const udp = run(tplinkShpUdp, autokey(sysinfo));
    assert.equal(udp.ok, true);
    assert.deepEqual(udp.facts, ["tplink.model=HS110(EU)", "tplink.firmware=1.5.4 Build 180815 Rel.121440", "tplink.type=IOT.SMARTPLUGSWITCH"]);
    const body = autokey(sysinfo);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    assert.deepEqual(run(tplinkShpTcp, Buffer.concat([length, body])).facts, udp.facts);
    // The request a phone app broadcasts carries no model.
    assert.deepEqual(run(tplinkShpUdp, autokey('{"system":{"get_sysinfo":{}}}')), { facts: [], ops: [], ok: true });
  });

  it("TP-Link Smart Home: anything else on port 9999 is not it, and a bad answer is counted", () => {
    assert.equal(run(tplinkShpUdp, Buffer.from('{"system":{}}')).ok, false, "JSON in clear is not the cipher");
    assert.equal(run(tplinkShpUdp, Buffer.from([0xd0])).ok, false);
    assert.deepEqual(run(tplinkShpUdp, autokey('{"system": [')).facts, ["error tplink.bad-json"]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(0x7fffffff);
    assert.equal(run(tplinkShpTcp, Buffer.concat([length, autokey(sysinfo)])).ok, false, "an absurd length");
  });

  it("a plug that answered its sysinfo is a TP-Link smart plug of that model", async () => {
    const facts = new Map([["tplink.model", ["HS110(EU)"]], ["tplink.firmware", ["1.5.4 Build 180815 Rel.121440"]], ["tplink.type", ["IOT.SMARTPLUGSWITCH"]]]);
    const v = classify({ ouiVendor: undefined, router: false, hostnames: [], facts }, loadRules());
    assert.equal(v.category, "smart-plug");
    assert.equal(v.vendor, "TP-Link");
    assert.equal(v.model, "HS110(EU)");
  });

  it("WS-Discovery: an ONVIF camera's Hello names its types and scopes, and makes it a camera of that model", () => {
    const hello = `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">
<SOAP-ENV:Header><wsa:MessageID>urn:uuid:0b6e2b7a-1dd2-11b2-8000-001a2b3c4d5e</wsa:MessageID><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>
<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello</wsa:Action></SOAP-ENV:Header>
<SOAP-ENV:Body><d:Hello><wsa:EndpointReference><wsa:Address>urn:uuid:1419d68a-1dd2-11b2-a105-001a2b3c4d5e</wsa:Address></wsa:EndpointReference>
<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>
<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/hardware/DS-2CD2143G0-I onvif://www.onvif.org/name/HIKVISION</d:Scopes>
<d:XAddrs>http://192.168.1.64/onvif/device_service</d:XAddrs><d:MetadataVersion>10</d:MetadataVersion></d:Hello></SOAP-ENV:Body></SOAP-ENV:Envelope>`;
    const r = run(wsDiscovery, Buffer.from(hello));
    assert.deepEqual(r.facts, ["wsd.types=NetworkVideoTransmitter Device", "wsd.scope=onvif://www.onvif.org/type/video_encoder",
      "wsd.scope=onvif://www.onvif.org/hardware/DS-2CD2143G0-I", "wsd.scope=onvif://www.onvif.org/name/HIKVISION"]);
    const facts = new Map<string, string[]>();
    for (const f of r.facts) {
      const [k, v] = [f.slice(0, f.indexOf("=")), f.slice(f.indexOf("=") + 1)];
      facts.set(k, [...(facts.get(k) ?? []), v]);
    }
    const v = classify({ ouiVendor: undefined, router: false, hostnames: [], facts }, loadRules());
    assert.equal(v.category, "camera");
    assert.equal(v.model, "DS-2CD2143G0-I");
    // A probe says what its sender looks for, not what it is.
    const probe = hello.replace("discovery/Hello", "discovery/Probe").replace("<d:Hello>", "<d:Probe>").replace("</d:Hello>", "</d:Probe>");
    assert.deepEqual(run(wsDiscovery, Buffer.from(probe)), { facts: [], ops: [], ok: true });
  });

  it("Beckhoff ADS: WriteControl (run, stop) and Write requests are operations on the PLC, reads are not", () => {
    const ams = (command: number, flags: number, data: Buffer): Buffer => {
      const h = Buffer.alloc(38);
      h.writeUInt32LE(32 + data.length, 2);
      Buffer.from([192, 168, 1, 8, 1, 1]).copy(h, 6);
      h.writeUInt16LE(851, 12); // the first PLC runtime
      Buffer.from([192, 168, 1, 99, 1, 1]).copy(h, 14);
      h.writeUInt16LE(32905, 20);
      h.writeUInt16LE(command, 22);
      h.writeUInt16LE(flags, 24);
      h.writeUInt32LE(data.length, 26);
      return Buffer.concat([h, data]);
    };
    const stop = Buffer.alloc(8);
    stop.writeUInt16LE(6, 0);
    assert.deepEqual(run(beckhoffAds, ams(5, 0x0004, stop)).ops, ["ads.change-state (port 851, state 6)"]);
    assert.deepEqual(run(beckhoffAds, ams(3, 0x0004, Buffer.alloc(16))).ops, ["ads.write (port 851)"]);
    assert.deepEqual(run(beckhoffAds, ams(2, 0x0004, Buffer.alloc(12))).ops, []);
    assert.deepEqual(run(beckhoffAds, ams(5, 0x0005, Buffer.alloc(4))).ops, [], "the PLC's answer is not an operation");
    assert.equal(run(beckhoffAds, ams(42, 0x0004, Buffer.alloc(0))).ok, false, "no such command");
  });
});

describe("discovery protocols in real captures", { skip: NO_CORPUS || NO_TSHARK }, () => {
  it("NetBIOS: the names hosts send datagrams from are the names tshark reads", async () => {
    const file = corpus(`${NDPI}/netbios.pcap`);
    const want = new Set(tsharkFields(file, "nbdgm.source_name || nbns.flags.opcode == 5 || nbns.flags.opcode == 8", ["nbdgm.source_name", "nbns.name"])
      .flatMap((r) => r.filter(Boolean)).map((n) => n.replace(/<[0-9a-f]{2}>$/i, "").trim().toLowerCase()));
    const got = new Set((await inventoryOf(file)).flatMap((d) => d.factValues("netbios.name")));
    assert.ok(want.size >= 2, `tshark names ${[...want].join(", ")}`);
    assert.deepEqual([...got].sort(), [...want].sort());
  });

  it("Ubiquiti discovery: the gateway's model and firmware, as tshark reads them, make it Ubiquiti network equipment", async () => {
    const file = corpus(`${NDPI}/ubntac2.pcap`);
    const rows = tsharkFields(file, "udp.srcport == 10001 || udp.dstport == 10001", ["frame.number"]);
    assert.ok(rows.length > 0);
    const devices = await inventoryOf(file);
    const gw = devices.find((d) => d.factValues("ubnt.model").length > 0);
    assert.ok(gw, "a device announced its model");
    assert.deepEqual(gw.factValues("ubnt.model"), ["UGW3"]);
    assert.match(gw.factValues("ubnt.firmware")[0], /^UniFiSecurityGateway\./);
    const v = classify(deviceFacts({ facts: gw.factList(), ouiVendor: gw.ouiVendor, router: gw.router }), loadRules());
    assert.equal(v.vendor, "Ubiquiti");
    assert.equal(v.model, "UGW3");
  });
});
