import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { http } from "../src/dissect/http.js";
import { ACK, FIN, PSH, SYN, ethernet, ipv4, tcp, udp } from "../src/lab/craft.js";
import { writePcap } from "../src/lab/capture-writer.js";
import { beckhoffAds } from "../src/dissect/beckhoff-ads.js";
import { tplinkShpTcp, tplinkShpUdp } from "../src/dissect/tplink-shp.js";
import { edimaxCloud } from "../src/dissect/edimax-cloud.js";
import { wsDiscovery } from "../src/dissect/ws-discovery.js";
import { type Verdict, classify } from "../src/classify/classify.js";
import { loadRules } from "../src/classify/rules.js";
import { deviceFacts } from "../src/classify/device-facts.js";
import { NO_CORPUS, NO_TSHARK, corpus, inventoryOf, runDissector, tmpDir, tsharkFields } from "./helpers.js";

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

describe("Edimax's cloud relay: a plug or camera registering states its model", () => {
  /** Edimax's obfuscation: '<' plus n, then every byte rotated right by n bits. */
  function obfuscate(text: string, n: number): Buffer {
    const b = Buffer.from(text, "latin1");
    const out = Buffer.alloc(b.length);
    out[0] = 0x3c + n;
    for (let i = 1; i < b.length; i++) out[i] = ((b[i] >> n) | (b[i] << (8 - n))) & 0xff;
    return out;
  }
  // The registration's elements as an SP-2101W sends them (code 1010), one per line.
  const registration = ["<param>", '<code value="1010" />', '<model value="SP-2101W" />', '<id value="74DA38000001" />', '<type value="SmartPlug" />',
    '<alias value="Plug000001" />', '<lanip value="10.0.0.50" />', '<lanport value="60919" />', '<nattype value="7" />',
    '<devfwver value="1.03#010001" />', '<productid value="EDIMAX#SP-2101W#1.0#1.03" />', "</param>"].join("\n");

  it("reads the model, type and firmware of a registration under every rotation", () => {
    for (let n = 0; n < 8; n++) {
      const r = run(edimaxCloud, obfuscate(registration, n));
      assert.equal(r.ok, true, `rotation ${n}`);
      assert.deepEqual(r.facts, ["edimax.model=SP-2101W", "edimax.type=SmartPlug", "edimax.firmware=1.03"], `rotation ${n}`);
    }
  });

  it("recognises the published keep-alive example, and takes no model from the relay's answer about another device", () => {
    // The example message of G. Guntram's description of the protocol: rotation 1, <param><code value="3000" /></param>.
    const example = Buffer.from("3d38b039b0b61f1eb1b732b2103bb036bab29e11991818181110971f1e9738b039b0b61f", "hex");
    assert.deepEqual(run(edimaxCloud, example), { facts: [], ops: [], ok: true });
    // The relay tells a phone app about the plug it asked for: that names the plug, not the relay.
    const answer = '<param><code value="1070" /><ip value="10.0.0.50" /><model value="SP-2101W" /><type value="SmartPlug" /></param>';
    assert.deepEqual(run(edimaxCloud, obfuscate(answer, 5)), { facts: [], ops: [], ok: true });
  });

  it("anything else is not it: the 4-byte keep-alive, markup in clear, a bad first byte, a cut-off or forged registration", () => {
    assert.equal(run(edimaxCloud, Buffer.from("22164580", "hex")).ok, false);
    assert.equal(run(edimaxCloud, Buffer.from("<html><body>")).ok, false);
    assert.equal(run(edimaxCloud, Buffer.from([0x44, ...obfuscate(registration, 7).subarray(1)])).ok, false, "no rotation of 8");
    assert.deepEqual(run(edimaxCloud, obfuscate(registration.slice(0, 45), 3)).facts, [], "cut off before the model's value closes");
    const evil = registration.replace("SP-2101W\"", "SP\u0007\u0000<x>;rm -rf /\"");
    const facts = run(edimaxCloud, obfuscate(evil, 2)).facts;
    assert.ok(facts.every((f) => !/[\x00-\x1f<>]/.test(f)), facts.join(" "));
  });

  it("a registration seen on the wire, on any port, makes an Edimax smart plug of that model and firmware", async () => {
    const plug = { mac: "74:da:38:00:00:01", ip: "10.0.0.50" };
    const gw = "02:00:00:00:00:01";
    const frames = [8765, 60000].map((port, i) => ({
      tsUs: 1e15 + i * 1e6,
      data: ethernet(gw, plug.mac, 0x0800, ipv4({ src: plug.ip, dst: "203.0.113.7", proto: 17 }, udp(60919 + i, port, obfuscate(registration, 4)))),
    }));
    for (const [i, frame] of frames.entries()) {
      const file = join(tmpDir("edimax-"), `plug-${i}.pcap`);
      writeFileSync(file, writePcap([frame]));
      const d = (await inventoryOf(file)).find((x) => x.mac === plug.mac)!;
      assert.deepEqual(d.factValues("edimax.model"), ["SP-2101W"], `port ${frame === frames[0] ? 8765 : 60000}`);
      const v = classify(deviceFacts({ facts: d.factList(), ouiVendor: d.ouiVendor, router: d.router }), loadRules());
      assert.deepEqual([v.category, v.vendor, v.model, v.firmware], ["smart-plug", "Edimax", "SP-2101W", "1.03"]);
    }
    const cam = classify({ ouiVendor: undefined, router: false, hostnames: [], facts: new Map([["edimax.model", ["IC-3116W"]], ["edimax.type", ["IPCam"]]]) }, loadRules());
    assert.deepEqual([cam.category, cam.vendor, cam.model], ["camera", "Edimax", "IC-3116W"]);
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

describe("devices that describe themselves over HTTP: UPnP device descriptions and HNAP", () => {
  const cp = { mac: "02:00:00:00:00:30", ip: "10.0.0.30" };
  const dev = { mac: "94:10:3e:00:00:40", ip: "10.0.0.40" };
  /** A control point's GET and the device's answer, the answer's headers and body in segments of their own. */
  function conversation(port: number, request: string, headers: string, body: string, t0: number): { tsUs: number; data: Buffer }[] {
    const toDev = (flags: number, seq: number, payload?: Buffer): Buffer =>
      ethernet(dev.mac, cp.mac, 0x0800, ipv4({ src: cp.ip, dst: dev.ip, proto: 6 }, tcp(50000, port, flags, seq, payload)));
    const fromDev = (flags: number, seq: number, payload?: Buffer): Buffer =>
      ethernet(cp.mac, dev.mac, 0x0800, ipv4({ src: dev.ip, dst: cp.ip, proto: 6 }, tcp(port, 50000, flags, seq, payload)));
    const req = Buffer.from(request);
    const head = Buffer.from(headers);
    const doc = Buffer.from(body);
    return [
      { tsUs: t0, data: toDev(SYN, 100) },
      { tsUs: t0 + 100, data: fromDev(SYN | ACK, 900) },
      { tsUs: t0 + 200, data: toDev(ACK | PSH, 101, req) },
      { tsUs: t0 + 300, data: fromDev(ACK | PSH, 901, head) },
      { tsUs: t0 + 400, data: fromDev(ACK | PSH, 901 + head.length, doc) },
      { tsUs: t0 + 500, data: fromDev(ACK | FIN, 901 + head.length + doc.length) },
    ];
  }
  // The shape of a WeMo switch's setup.xml (ouimeaux, pywemo read these elements).
  const setupXml = `<?xml version="1.0"?>
<root xmlns="urn:Belkin:device-1-0" xmlns:upnp="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <device>
    <deviceType>urn:Belkin:device:controllee:1</deviceType>
    <friendlyName>Kettle &amp; toaster</friendlyName>
    <manufacturer>Belkin International Inc.</manufacturer>
    <manufacturerURL>http://www.belkin.com</manufacturerURL>
    <modelDescription>Belkin Plugin Socket 1.0</modelDescription>
    <modelName>Socket</modelName>
    <modelNumber>1.0</modelNumber>
    <firmwareVersion>WeMo_WW_2.00.11057.PVT-OWRT-SNS</firmwareVersion>
    <serialNumber>221517K0101769</serialNumber>
    <UDN>uuid:Socket-1_0-221517K0101769</UDN>
  </device>
</root>`;
  const hnapXml = `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetDeviceSettingsResponse xmlns="http://purenetworks.com/HNAP1/"><GetDeviceSettingsResult>OK</GetDeviceSettingsResult><Type>ConnectedHomeClient</Type><DeviceName>DCS-935L</DeviceName><VendorName>D-Link</VendorName><ModelDescription>Wireless Internet Camera</ModelDescription><ModelName>DCS-935L</ModelName><FirmwareVersion>1.06</FirmwareVersion><HardwareVersion>A1</HardwareVersion><ModuleTypes><string>Optical Recognition</string><string>Camera</string></ModuleTypes><SOAPActions><string>http://purenetworks.com/HNAP1/GetDeviceSettings</string></SOAPActions></GetDeviceSettingsResponse></soap:Body></soap:Envelope>`;
  const ok = (type: string, body: string): string => `HTTP/1.1 200 OK\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nServer: Unspecified, UPnP/1.0, Unspecified\r\n\r\n`;

  it("a WeMo's setup.xml, fetched by a control point, names the maker, model and firmware; tshark reads the same document", async () => {
    const file = join(tmpDir("upnp-description-"), "wemo.pcap");
    writeFileSync(file, writePcap(conversation(49153, "GET /setup.xml HTTP/1.1\r\nHost: 10.0.0.40:49153\r\n\r\n", ok("text/xml", setupXml), setupXml, 1e15)));
    const wemo = (await inventoryOf(file)).find((d) => d.mac === dev.mac)!;
    const facts = wemo.factList().filter((f) => /^upnp\./.test(f.kind)).map((f) => `${f.kind}=${f.value}`).sort();
    assert.deepEqual(facts, ["upnp.device_type=urn:Belkin:device:controllee:1", "upnp.firmware=WeMo_WW_2.00.11057.PVT-OWRT-SNS", "upnp.manufacturer=Belkin International Inc.",
      "upnp.model_description=Belkin Plugin Socket 1.0", "upnp.model_name=Socket", "upnp.model_number=1.0"]);
    assert.ok(!(await inventoryOf(file)).find((d) => d.mac === cp.mac)!.factList().some((f) => f.kind.startsWith("upnp.")), "the control point that fetched it is not described");
    const v = classify(deviceFacts({ facts: wemo.factList(), ouiVendor: undefined, router: false }), loadRules());
    assert.deepEqual([v.category, v.vendor, v.model, v.firmware], ["smart-plug", "Belkin", "Socket", "WeMo_WW_2.00.11057.PVT-OWRT-SNS"], JSON.stringify(v.evidence));
    if (!NO_TSHARK) {
      const body = tsharkFields(file, "http.response", ["http.file_data"], ["-o", "tcp.check_checksum:FALSE"]).map((r) => r[0]).join("");
      assert.match(body, /<modelName>Socket<\/modelName>/, "tshark reassembles the same description");
    }
  });

  it("an HNAP GetDeviceSettings answer names a D-Link camera, its model and firmware", async () => {
    const file = join(tmpDir("hnap-"), "cam.pcap");
    const request = `POST /HNAP1/ HTTP/1.1\r\nSOAPACTION: "http://purenetworks.com/HNAP1/GetDeviceSettings"\r\nContent-Type: text/xml;charset=utf-8\r\nHost: ${dev.ip}\r\nContent-Length: 0\r\n\r\n`;
    writeFileSync(file, writePcap(conversation(80, request, ok("text/xml; charset=utf-8", hnapXml), hnapXml, 1e15)));
    const cam = (await inventoryOf(file)).find((d) => d.mac === dev.mac)!;
    const facts = cam.factList().filter((f) => /^hnap\./.test(f.kind)).map((f) => `${f.kind}=${f.value}`).sort();
    assert.deepEqual(facts, ["hnap.description=Wireless Internet Camera", "hnap.firmware=1.06", "hnap.hardware=A1", "hnap.model=DCS-935L",
      "hnap.module_type=Camera", "hnap.module_type=Optical Recognition", "hnap.vendor=D-Link"]);
    const v = classify(deviceFacts({ facts: cam.factList(), ouiVendor: undefined, router: false }), loadRules());
    assert.deepEqual([v.category, v.vendor, v.model, v.firmware], ["camera", "D-Link", "DCS-935L", "1.06"], JSON.stringify(v.evidence));
  });

  it("in one segment with the headers too; a request, a login answer or a cut-off element states nothing", () => {
    const one = run(http, Buffer.from(ok("text/xml", hnapXml) + hnapXml));
    assert.ok(one.facts.includes("hnap.model=DCS-935L") && one.facts.includes("http.server=Unspecified, UPnP/1.0, Unspecified"), one.facts.join(" "));
    const login = `<?xml version="1.0"?><soap:Envelope><soap:Body><LoginResponse xmlns="http://purenetworks.com/HNAP1/"><LoginResult>OK</LoginResult></LoginResponse></soap:Body></soap:Envelope>`;
    assert.deepEqual(run(http, Buffer.from(ok("text/xml", login) + login)).facts, ["http.server=Unspecified, UPnP/1.0, Unspecified"]);
    const post = Buffer.from(`POST /HNAP1/ HTTP/1.1\r\nHost: 10.0.0.40\r\n\r\n${hnapXml}`);
    assert.ok(!run(http, post).facts.some((f) => f.startsWith("hnap.")), "what a client sends describes no one");
    const cut = setupXml.slice(0, setupXml.indexOf("</modelName>") + 5);
    const partial = run(http, Buffer.from(cut));
    assert.ok(partial.facts.includes("upnp.manufacturer=Belkin International Inc."), partial.facts.join(" "));
    assert.ok(!partial.facts.some((f) => f.startsWith("upnp.model_name")), "an element the segment cuts off is not read");
  });

  it("text is decoded and bounded, markup in values is refused, and a maker Cordon does not know names nobody", () => {
    const doc = (manufacturer: string, model: string): Buffer => Buffer.from(`<root xmlns="urn:schemas-upnp-org:device-1-0"><device><manufacturer>${manufacturer}</manufacturer><modelName>${model}</modelName></device></root>`);
    assert.deepEqual(run(http, doc("AT&amp;T&#x20;Labs\u0007", "x".repeat(600))).facts, ["upnp.manufacturer=AT&T Labs"], "a value over 512 characters is no element");
    assert.deepEqual(run(http, doc("Sonos, Inc.", "Sonos&#0;One&#xD;")).facts, ["upnp.manufacturer=Sonos, Inc.", "upnp.model_name=SonosOne"]);
    const rules = loadRules();
    const of = (manufacturer: string): Verdict => classify({ router: false, hostnames: [], facts: new Map([["upnp.manufacturer", [manufacturer]], ["upnp.model_name", ["Windows Media Player Sharing"]]]) }, rules);
    assert.deepEqual([of("Sonos, Inc.").vendor, of("Sonos, Inc.").model], ["Sonos", "Windows Media Player Sharing"]);
    assert.deepEqual([of("Justin Maggard").vendor, of("Justin Maggard").model, of("Justin Maggard").evidence], [undefined, undefined, []], "minidlna's author is not the hardware's maker");
  });
});
