import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { hikvisionSadp } from "../src/dissect/hikvision-sadp.js";
import { gigeVision } from "../src/dissect/gige-vision.js";
import { hidDiscoveryd } from "../src/dissect/hid-discoveryd.js";
import { pcworx } from "../src/dissect/pcworx.js";
import { dahuaDhip } from "../src/dissect/dahua-dhip.js";
import { ACK, FIN, PSH, SYN, ethernet, ipv4, tcp, udp } from "../src/lab/craft.js";
import { http } from "../src/dissect/http.js";
import { writePcap } from "../src/lab/capture-writer.js";
import { classify } from "../src/classify/classify.js";
import { loadRules } from "../src/classify/rules.js";
import { deviceFacts } from "../src/classify/device-facts.js";
import { deviceIdentity } from "../src/vulns/device-identity.js";
import { NO_TSHARK, inventoryOf, runDissector as run, tmpDir, tsharkFields } from "./helpers.js";

/** A SADP answer with the elements hikvision-tooling reads, as a device sends it. */
function probeMatch(o: { model: string; serial: string; firmware: string; analog: number; digital: number }): Buffer {
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<ProbeMatch><Uuid>6F1C0A8E-1B2C-4D3E-8F90-A1B2C3D4E5F6</Uuid>
<Types>inquiry</Types>
<DeviceType>138153</DeviceType>
<DeviceDescription>${o.model}</DeviceDescription>
<DeviceSN>${o.serial}</DeviceSN>
<CommandPort>8000</CommandPort>
<HttpPort>80</HttpPort>
<MAC>44-19-b6-00-00-01</MAC>
<IPv4Address>10.0.0.60</IPv4Address>
<DHCP>false</DHCP>
<AnalogChannelNum>${o.analog}</AnalogChannelNum>
<DigitalChannelNum>${o.digital}</DigitalChannelNum>
<SoftwareVersion>${o.firmware}</SoftwareVersion>
<DSPVersion>V7.3 build 170107</DSPVersion>
<Activated>true</Activated>
</ProbeMatch>
`);
}

const camera = { model: "DS-2CD2142FWD-I", serial: "DS-2CD2142FWD-I20170101AAWR700000001", firmware: "V5.4.5build 170124", analog: 0, digital: 1 };
const recorder = { model: "DS-7608NI-K2", serial: "DS-7608NI-K20820190101CCRR000000001WCVU", firmware: "V4.22.005build 190920", analog: 0, digital: 8 };

/** A DHIP datagram: the 32-byte header (length 32, "DHIP", the body's length at 16 and 24) and the JSON body. */
function dhip(body: string, lengths?: [number, number]): Buffer {
  const b = Buffer.from(body, "utf8");
  const h = Buffer.alloc(32);
  h.writeUInt32LE(32, 0);
  h.write("DHIP", 4, "latin1");
  h.writeUInt32LE(lengths?.[0] ?? b.length, 16);
  h.writeUInt32LE(lengths?.[1] ?? b.length, 24);
  return Buffer.concat([h, b]);
}

/** A client.notifyDevInfo answer with the deviceInfo fields Rapid7's and UniversalScanner's readers show. */
function notifyDevInfo(info: Record<string, string>): string {
  return JSON.stringify({
    mac: "3c:ef:8c:00:00:01", method: "client.notifyDevInfo",
    params: { deviceInfo: { AlarmInputChannels: 0, HttpPort: 80, IPv4Address: { IPAddress: "10.0.0.61", DhcpEnable: false }, MachineName: "1F006E4PAX00075", Port: 37777, ...info } },
  });
}

const verdictOf = (facts: Record<string, string[]>, ouiVendor?: string, more: Record<string, string[]> = {}) =>
  classify({ ouiVendor, router: false, hostnames: [], facts: new Map(Object.entries({ ...facts, ...more })) }, loadRules());

describe("Hikvision SADP: a camera or recorder answering an inquiry states its model, serial and firmware", () => {
  it("reads the answer's model, serial, firmware and channels", () => {
    assert.deepEqual(run(hikvisionSadp, probeMatch(camera)), {
      ok: true, ops: [],
      facts: ["sadp.model=DS-2CD2142FWD-I", "sadp.serial=DS-2CD2142FWD-I20170101AAWR700000001", "sadp.firmware=V5.4.5build 170124", "sadp.channels=1"],
    });
    assert.ok(run(hikvisionSadp, probeMatch(recorder)).facts.includes("sadp.channels=8"));
  });

  it("an inquiry describes nobody; anything else on the port is not SADP; hostile values stay text", () => {
    const inquiry = Buffer.from('<?xml version="1.0" encoding="utf-8"?><Probe><Uuid>6F1C0A8E-1B2C-4D3E-8F90-A1B2C3D4E5F6</Uuid><Types>inquiry</Types></Probe>');
    assert.deepEqual(run(hikvisionSadp, inquiry), { facts: [], ops: [], ok: true });
    assert.equal(run(hikvisionSadp, Buffer.from("M-SEARCH * HTTP/1.1\r\n\r\n")).ok, false);
    assert.equal(run(hikvisionSadp, Buffer.from("<html><body>hello</body></html>")).ok, false);
    const evil = run(hikvisionSadp, probeMatch({ ...camera, model: "DS-2CD&lt;script&gt;\u0007;rm -rf /", analog: 99999 as number })).facts;
    assert.ok(evil.includes("sadp.model=DS-2CD<script> ;rm -rf /"), evil.join(" "));
    assert.ok(!evil.some((f) => f.startsWith("sadp.channels=10000")), "a count of five digits is not a count");
  });

  it("a camera is a Hikvision camera of its model and firmware; a recorder is an NVR even where its OUI and web server say camera", () => {
    const facts = (o: typeof camera) => {
      const out: Record<string, string[]> = {};
      for (const f of run(hikvisionSadp, probeMatch(o)).facts) {
        const [k, v] = [f.slice(0, f.indexOf("=")), f.slice(f.indexOf("=") + 1)];
        (out[k] ??= []).push(v);
      }
      return out;
    };
    const cam = verdictOf(facts(camera));
    assert.deepEqual([cam.category, cam.vendor, cam.model, cam.firmware], ["camera", "Hikvision", "DS-2CD2142FWD-I", "5.4.5"]);
    const nvr = verdictOf(facts(recorder), "Hangzhou Hikvision Digital Technology Co.,Ltd.", { "http.server": ["App-webs/"] });
    assert.deepEqual([nvr.category, nvr.vendor, nvr.model, nvr.firmware], ["nvr", "Hikvision", "DS-7608NI-K2", "4.22.005"]);
    assert.equal(verdictOf({ "sadp.model": ["DS-KV6113-WPE1"] }).category, "doorbell");
    assert.equal(verdictOf({ "sadp.model": ["DS-K1T671MF"] }).category, "access-control");
    // An OEM recorder under another model name: its channels say what it is.
    assert.equal(verdictOf({ "sadp.model": ["NVR-16"], "sadp.channels": ["16"] }).category, "nvr");
    const id = deviceIdentity([{ kind: "sadp.model", value: "DS-2CD2142FWD-I" }, { kind: "sadp.firmware", value: "V5.4.5build 170124" }] as never);
    assert.deepEqual([id.vendor, id.product, id.firmware], ["Hikvision", "DS-2CD2142FWD-I", "5.4.5"]);
  });

  it("an answer on the wire names the camera that sent it, and a new serial on its MAC is an identity change", async () => {
    const cam = { mac: "44:19:b6:00:00:01", ip: "10.0.0.60" };
    const answer = (o: typeof camera, t: number) => ({
      tsUs: 1e15 + t * 1e6,
      data: ethernet("01:00:5e:7f:ff:fa", cam.mac, 0x0800, ipv4({ src: cam.ip, dst: "239.255.255.250", proto: 17 }, udp(37020, 37020, probeMatch(o)))),
    });
    const file = join(tmpDir("sadp-"), "sadp.pcap");
    const swapped = { ...camera, serial: "DS-2CD2142FWD-I20190505AAWR900000002" };
    writeFileSync(file, writePcap([answer(camera, 0), answer(camera, 60), answer(swapped, 120), answer(swapped, 180)]));
    const d = (await inventoryOf(file)).find((x) => x.mac === cam.mac)!;
    const v = classify(deviceFacts({ facts: d.factList(), ouiVendor: d.ouiVendor, router: d.router }), loadRules());
    assert.deepEqual([v.category, v.vendor, v.model], ["camera", "Hikvision", "DS-2CD2142FWD-I"]);
    assert.match(d.factValues("identity.change")[0] ?? "", /^score 0\.90: sadp\.serial: DS-2CD2142FWD-I20170101AAWR700000001 -> DS-2CD2142FWD-I20190505AAWR900000002/);
  });
});

describe("Dahua DHIP discovery: a camera, recorder or door station answering a search states what it is", () => {
  const ipc = notifyDevInfo({ DeviceClass: "IPC", DeviceType: "IPC-HDW5421S", Version: "2.400.0.8", SerialNo: "1F006E4PAX00075", Vendor: "Dahua", Manufacturer: "Private" });

  it("reads class, model, firmware, serial and vendor from client.notifyDevInfo", () => {
    assert.deepEqual(run(dahuaDhip, dhip(ipc)), {
      ok: true, ops: [],
      facts: ["dahua.class=IPC", "dahua.model=IPC-HDW5421S", "dahua.firmware=2.400.0.8", "dahua.serial=1F006E4PAX00075", "dahua.vendor=Dahua"],
    });
  });

  it("a search describes nobody; a damaged header or body is counted, not believed", () => {
    const search = dhip('{ "method" : "DHDiscover.search", "params" : { "mac" : "", "uni" : 1 } }\n');
    assert.deepEqual(run(dahuaDhip, search), { facts: [], ops: [], ok: true });
    assert.equal(run(dahuaDhip, Buffer.from(ipc)).ok, false, "JSON without the header");
    const wrongMagic = dhip(ipc);
    wrongMagic.write("DHIQ", 4, "latin1");
    assert.equal(run(dahuaDhip, wrongMagic).ok, false);
    const n = Buffer.byteLength(ipc);
    assert.deepEqual(run(dahuaDhip, dhip(ipc, [n, n - 1])).facts, ["error dhip.bad-length"], "the two lengths disagree");
    assert.deepEqual(run(dahuaDhip, dhip(ipc, [n + 10, n + 10])).facts, ["error dhip.bad-length"], "longer than the datagram");
    assert.deepEqual(run(dahuaDhip, dhip(ipc.slice(0, 40))).facts, ["error dhip.bad-json"]);
    assert.deepEqual(run(dahuaDhip, dhip(notifyDevInfo({ DeviceType: "IPC\u0000\u001b[2J-X" }))).facts, ["dahua.model=IPC [2J-X"]);
  });

  it("the class names the kind: a camera, a recorder, a door station; Dahua is the maker, OEM names kept as facts", () => {
    const facts = (body: string) => {
      const out: Record<string, string[]> = {};
      for (const f of run(dahuaDhip, dhip(body)).facts) (out[f.slice(0, f.indexOf("="))] ??= []).push(f.slice(f.indexOf("=") + 1));
      return out;
    };
    const cam = verdictOf(facts(ipc));
    assert.deepEqual([cam.category, cam.vendor, cam.model, cam.firmware], ["camera", "Dahua", "IPC-HDW5421S", "2.400.0.8"]);
    const lorex = verdictOf(facts(notifyDevInfo({ DeviceClass: "IPC", DeviceType: "W461ASC", Version: "2.800.030000000.3.R", Vendor: "Lorex" })));
    assert.deepEqual([lorex.category, lorex.vendor, lorex.model], ["camera", "Dahua", "W461ASC"]);
    assert.equal(verdictOf(facts(notifyDevInfo({ DeviceClass: "NVR", DeviceType: "NVR4108HS-4KS2" }))).category, "nvr");
    assert.equal(verdictOf(facts(notifyDevInfo({ DeviceType: "VTO2000A", Version: "3.120.0000.0.R" }))).category, "doorbell");
  });

  it("an answer on the wire, on the discovery port or another, names the device that sent it", async () => {
    const dev = { mac: "3c:ef:8c:00:00:01", ip: "10.0.0.61" };
    for (const port of [37810, 40000]) {
      const file = join(tmpDir("dhip-"), `dhip-${port}.pcap`);
      writeFileSync(file, writePcap([{ tsUs: 1e15, data: ethernet("02:00:00:00:00:09", dev.mac, 0x0800, ipv4({ src: dev.ip, dst: "10.0.0.9", proto: 17 }, udp(port, 50000, dhip(ipc)))) }]));
      const d = (await inventoryOf(file)).find((x) => x.mac === dev.mac)!;
      assert.deepEqual(d.factValues("dahua.model"), ["IPC-HDW5421S"], `port ${port}`);
    }
  });
});

/** A GigE Vision DISCOVERY_ACK: status 0, answer 0x0003, length 0xF8, then the bootstrap registers 0x00-0xF7. */
function discoveryAck(o: { maker: string; model: string; version: string; serial: string; name?: string }, ackId = 1): Buffer {
  const b = Buffer.alloc(8 + 0xf8);
  b.writeUInt16BE(0x0000, 0);
  b.writeUInt16BE(0x0003, 2);
  b.writeUInt16BE(0xf8, 4);
  b.writeUInt16BE(ackId, 6);
  const r = 8;
  b.writeUInt16BE(2, r); // spec version 2.0
  b.writeUInt16BE(0x0030, r + 0x0a);
  b.writeUInt32BE(0x53000001, r + 0x0c); // MAC 00:30:53:00:00:01 (Basler)
  b.writeUInt32BE(0x0a000046, r + 0x24); // 10.0.0.70
  b.writeUInt32BE(0xffffff00, r + 0x34);
  b.write(o.maker, r + 0x48, 32, "latin1");
  b.write(o.model, r + 0x68, 32, "latin1");
  b.write(o.version, r + 0x88, 32, "latin1");
  b.write(o.serial, r + 0xd8, 16, "latin1");
  if (o.name) b.write(o.name, r + 0xe8, 16, "latin1");
  return b;
}

describe("GigE Vision: a machine-vision camera answering discovery states its maker, model, version and serial", () => {
  const basler = { maker: "Basler", model: "acA1920-25gm", version: "106628-18;U;acA1920-25gm;V1.1-0", serial: "22334455", name: "line3-inspect" };

  it("reads the bootstrap registers of a discovery answer; a command or another answer says nothing", () => {
    assert.deepEqual(run(gigeVision, discoveryAck(basler)), {
      ok: true, ops: [],
      facts: ["gige.manufacturer=Basler", "gige.model=acA1920-25gm", "gige.version=106628-18;U;acA1920-25gm;V1.1-0", "gige.serial=22334455"],
    });
    const discoveryCmd = Buffer.from([0x42, 0x11, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01]);
    assert.deepEqual(run(gigeVision, discoveryCmd), { facts: [], ops: [], ok: true });
    const readregAck = Buffer.from([0x00, 0x00, 0x00, 0x81, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01]);
    assert.deepEqual(run(gigeVision, readregAck), { facts: [], ops: [], ok: true });
    assert.equal(run(gigeVision, Buffer.from("GET / HTTP/1.1\r\n")).ok, false);
    const cut = discoveryAck(basler).subarray(0, 100);
    assert.deepEqual(run(gigeVision, cut).facts, [], "a length beyond the datagram is not an answer");
    const unprintable = discoveryAck({ ...basler, model: "acA\u0007\u001b[2J" });
    assert.ok(!run(gigeVision, unprintable).facts.some((f) => f.startsWith("gige.model")), "a model with control bytes is not read");
  });

  it("tshark's GVCP dissector reads the same maker, model, version and serial from the same capture", { skip: NO_TSHARK }, () => {
    const cam = { mac: "00:30:53:00:00:01", ip: "10.0.0.70" };
    const file = join(tmpDir("gvcp-"), "gvcp.pcap");
    writeFileSync(file, writePcap([
      { tsUs: 1e15, data: ethernet("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:0a", 0x0800, ipv4({ src: "10.0.0.10", dst: "255.255.255.255", proto: 17 }, udp(50123, 3956, Buffer.from([0x42, 0x11, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01])))) },
      { tsUs: 1e15 + 2000, data: ethernet("02:00:00:00:00:0a", cam.mac, 0x0800, ipv4({ src: cam.ip, dst: "10.0.0.10", proto: 17 }, udp(3956, 50123, discoveryAck(basler)))) },
    ]));
    const rows = tsharkFields(file, "gvcp.bootstrap.modelname", ["gvcp.bootstrap.manufacturername", "gvcp.bootstrap.modelname", "gvcp.bootstrap.deviceversion", "gvcp.bootstrap.serialnumber"]);
    assert.equal(rows.length, 1, "tshark reads one discovery answer");
    const run2 = run(gigeVision, discoveryAck(basler)).facts.map((f) => f.slice(f.indexOf("=") + 1));
    assert.deepEqual(run2, rows[0]);
  });

  it("the camera is a Basler camera of its model, and a new serial on its MAC is an identity change", async () => {
    const cam = { mac: "00:30:53:00:00:01", ip: "10.0.0.70" };
    const ack = (o: typeof basler, t: number) => ({ tsUs: 1e15 + t * 1e6, data: ethernet("02:00:00:00:00:0a", cam.mac, 0x0800, ipv4({ src: cam.ip, dst: "10.0.0.10", proto: 17 }, udp(3956, 50000 + t, discoveryAck(o)))) });
    const file = join(tmpDir("gvcp-"), "swap.pcap");
    const other = { ...basler, serial: "99887766" };
    writeFileSync(file, writePcap([ack(basler, 0), ack(basler, 10), ack(other, 20), ack(other, 30)]));
    const d = (await inventoryOf(file)).find((x) => x.mac === cam.mac)!;
    const v = classify(deviceFacts({ facts: d.factList(), ouiVendor: d.ouiVendor, router: d.router }), loadRules());
    assert.deepEqual([v.category, v.vendor, v.model], ["camera", "Basler", "acA1920-25gm"]);
    assert.match(d.factValues("identity.change")[0] ?? "", /gige\.serial: 22334455 -> 99887766/);
    // A maker Cordon does not know names nobody; the camera is still a camera.
    const unknown = verdictOf({ "gige.manufacturer": ["Acme Optics"], "gige.model": ["AO-100"] });
    assert.deepEqual([unknown.category, unknown.vendor, unknown.model], ["camera", undefined, "AO-100"]);
  });
});

/** A discoveryd answer in the shape nmap's broadcast-hid-discoveryd reads: ten fields, the second the answer's length. */
function discovered(fields: string[]): Buffer {
  const rest = `;${fields.join(";")};`;
  const len = "discovered;".length + 3 + rest.length;
  return Buffer.from(`discovered;${String(len).padStart(3, "0")}${rest}`, "latin1");
}

describe("HID discoveryd: a door controller answering HID's tools states its model and firmware", () => {
  const eh400 = ["00:06:8E:00:00:01", "NoEntry", "10.123.123.1", "1", "EH400", "2.3.1.603", "04/23/2012"];

  it("reads model and firmware from an answer of the right length; the probe says nothing", () => {
    assert.deepEqual(run(hidDiscoveryd, discovered(eh400)), { facts: ["hid.model=EH400", "hid.firmware=2.3.1.603"], ops: [], ok: true });
    assert.deepEqual(run(hidDiscoveryd, Buffer.from("discover;013;")), { facts: [], ops: [], ok: true });
    const wrongLength = Buffer.from(discovered(eh400).toString("latin1").replace(/^discovered;\d{3}/, "discovered;999"), "latin1");
    assert.deepEqual(run(hidDiscoveryd, wrongLength).facts, ["error hid-discoveryd.bad-answer"]);
    assert.deepEqual(run(hidDiscoveryd, discovered([...eh400, "extra"])).facts, ["error hid-discoveryd.bad-answer"]);
    assert.equal(run(hidDiscoveryd, Buffer.from("hello world, not HID")).ok, false);
    assert.deepEqual(run(hidDiscoveryd, discovered(eh400.map((f, i) => (i === 4 ? "EH\u0007400" : f)))).facts, ["hid.firmware=2.3.1.603"], "a model with a control byte is not read");
  });

  it("the controller is an HID access controller of its model, in the strictest tier", async () => {
    const dev = { mac: "00:06:8e:00:00:01", ip: "10.123.123.1" };
    const file = join(tmpDir("hid-"), "hid.pcap");
    writeFileSync(file, writePcap([{ tsUs: 1e15, data: ethernet("02:00:00:00:00:0b", dev.mac, 0x0800, ipv4({ src: dev.ip, dst: "10.123.123.9", proto: 17 }, udp(4070, 50000, discovered(eh400)))) }]));
    const d = (await inventoryOf(file)).find((x) => x.mac === dev.mac)!;
    const v = classify(deviceFacts({ facts: d.factList(), ouiVendor: d.ouiVendor, router: d.router }), loadRules());
    assert.deepEqual([v.category, v.vendor, v.model, v.firmware, v.criticality], ["access-control", "HID Global", "EH400", "2.3.1.603", "life-safety/physical-process"]);
  });
});

describe("cameras describing themselves to the recorder that adds them: ONVIF GetDeviceInformation and Hikvision ISAPI", () => {
  const onvif = (maker: string, model: string) => `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">`
    + `<SOAP-ENV:Body><tds:GetDeviceInformationResponse><tds:Manufacturer>${maker}</tds:Manufacturer><tds:Model>${model}</tds:Model>`
    + "<tds:FirmwareVersion>10.12.130</tds:FirmwareVersion><tds:SerialNumber>ACCC8E000001</tds:SerialNumber><tds:HardwareId>7A5</tds:HardwareId>"
    + "</tds:GetDeviceInformationResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>";
  const isapi = (type: string, model: string) => `<?xml version="1.0" encoding="UTF-8"?><DeviceInfo version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">`
    + `<deviceName>IP CAMERA</deviceName><deviceID>88</deviceID><model>${model}</model><serialNumber>${model}20170101AAWR700000001</serialNumber>`
    + `<macAddress>44:19:b6:00:00:01</macAddress><firmwareVersion>V5.4.5</firmwareVersion><firmwareReleasedDate>build 170124</firmwareReleasedDate><deviceType>${type}</deviceType></DeviceInfo>`;
  const ok = (type: string, body: string) => Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  const factsOf = (facts: string[]) => {
    const out: Record<string, string[]> = {};
    for (const f of facts) (out[f.slice(0, f.indexOf("="))] ??= []).push(f.slice(f.indexOf("=") + 1));
    return out;
  };

  it("ONVIF: the answer states manufacturer, model, firmware, serial and hardware; the maker is named where Cordon knows it", () => {
    const r = run(http, ok("application/soap+xml; charset=utf-8", onvif("AXIS", "P3245-LV")));
    const described = r.facts.filter((f) => f.startsWith("onvif."));
    assert.deepEqual(described, ["onvif.manufacturer=AXIS", "onvif.model=P3245-LV", "onvif.firmware=10.12.130", "onvif.serial=ACCC8E000001", "onvif.hardware=7A5"]);
    const axis = verdictOf(factsOf(described));
    assert.deepEqual([axis.category, axis.vendor, axis.model, axis.firmware], ["camera", "Axis Communications", "P3245-LV", "10.12.130"]);
    const unknown = verdictOf(factsOf(run(http, ok("application/soap+xml", onvif("Acme Vision", "AV-1"))).facts.filter((f) => f.startsWith("onvif."))));
    assert.deepEqual([unknown.category, unknown.vendor, unknown.model], ["camera", undefined, "AV-1"]);
    // The recorder's request names the operation, not an answer: it describes nobody.
    const request = Buffer.from(`POST /onvif/device_service HTTP/1.1\r\nHost: 10.0.0.60\r\n\r\n<s:Envelope xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Body><tds:GetDeviceInformation/></s:Body></s:Envelope>`);
    assert.ok(!run(http, request).facts.some((f) => f.startsWith("onvif.")));
  });

  it("ISAPI: a camera's device info makes it a Hikvision camera of that model and firmware, a recorder's an NVR", () => {
    const cam = run(http, ok("application/xml", isapi("IPCamera", "DS-2CD2142FWD-I"))).facts.filter((f) => f.startsWith("isapi."));
    assert.deepEqual(cam, ["isapi.model=DS-2CD2142FWD-I", "isapi.firmware=V5.4.5", "isapi.serial=DS-2CD2142FWD-I20170101AAWR700000001", "isapi.device_type=IPCamera"]);
    const v = verdictOf(factsOf(cam));
    assert.deepEqual([v.category, v.vendor, v.model, v.firmware], ["camera", "Hikvision", "DS-2CD2142FWD-I", "5.4.5"]);
    const nvr = verdictOf(factsOf(run(http, ok("application/xml", isapi("NVR", "DS-7608NI-K2"))).facts), "Hangzhou Hikvision Digital Technology Co.,Ltd.");
    assert.deepEqual([nvr.category, nvr.model], ["nvr", "DS-7608NI-K2"]);
    assert.ok(!run(http, ok("application/xml", '<?xml version="1.0"?><ResponseStatus xmlns="http://www.hikvision.com/ver20/XMLSchema"><statusCode>4</statusCode></ResponseStatus>')).facts.some((f) => f.startsWith("isapi.")), "another ISAPI document describes nothing");
  });

  it("on the wire: the answer in a segment of its own after the headers names the camera, and a new serial is an identity change", async () => {
    const vms = { mac: "02:00:00:00:00:20", ip: "10.0.0.20" };
    const cam = { mac: "00:40:8c:00:00:01", ip: "10.0.0.61" };
    const frames: { tsUs: number; data: Buffer }[] = [];
    const exchange = (t0: number, port: number, body: string) => {
      const toCam = (flags: number, seq: number, payload?: Buffer) => ethernet(cam.mac, vms.mac, 0x0800, ipv4({ src: vms.ip, dst: cam.ip, proto: 6 }, tcp(port, 80, flags, seq, payload)));
      const fromCam = (flags: number, seq: number, payload?: Buffer) => ethernet(vms.mac, cam.mac, 0x0800, ipv4({ src: cam.ip, dst: vms.ip, proto: 6 }, tcp(80, port, flags, seq, payload)));
      const req = Buffer.from("POST /onvif/device_service HTTP/1.1\r\nHost: 10.0.0.61\r\nContent-Type: application/soap+xml\r\n\r\n");
      const head = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
      const doc = Buffer.from(body);
      frames.push({ tsUs: t0, data: toCam(SYN, 100) }, { tsUs: t0 + 100, data: fromCam(SYN | ACK, 900) }, { tsUs: t0 + 200, data: toCam(ACK | PSH, 101, req) },
        { tsUs: t0 + 300, data: fromCam(ACK | PSH, 901, head) }, { tsUs: t0 + 400, data: fromCam(ACK | PSH, 901 + head.length, doc) },
        { tsUs: t0 + 500, data: fromCam(ACK | FIN, 901 + head.length + doc.length) });
    };
    exchange(1e15, 50001, onvif("AXIS", "P3245-LV"));
    exchange(1e15 + 60e6, 50002, onvif("AXIS", "P3245-LV"));
    exchange(1e15 + 120e6, 50003, onvif("AXIS", "P3245-LV").replace("ACCC8E000001", "ACCC8E999999"));
    exchange(1e15 + 180e6, 50004, onvif("AXIS", "P3245-LV").replace("ACCC8E000001", "ACCC8E999999"));
    const file = join(tmpDir("onvif-"), "onvif.pcap");
    writeFileSync(file, writePcap(frames));
    const d = (await inventoryOf(file)).find((x) => x.mac === cam.mac)!;
    const v = classify(deviceFacts({ facts: d.factList(), ouiVendor: d.ouiVendor, router: d.router }), loadRules());
    assert.deepEqual([v.category, v.vendor, v.model, v.firmware], ["camera", "Axis Communications", "P3245-LV", "10.12.130"]);
    assert.match(d.factValues("identity.change")[0] ?? "", /onvif\.serial: ACCC8E000001 -> ACCC8E999999/);
  });
});

describe("PC WORX: a Phoenix Contact controller's information answer names its type and firmware", () => {
  /** The information answer at the offsets nmap's pcworx-info reads: PLC type at 30, firmware at 66, model number at 152. */
  function infoAnswer(type: string, firmware: string, model: string): Buffer {
    const b = Buffer.alloc(200);
    b[0] = 0x81;
    b[1] = 0x06;
    b.write(`${type}\0`, 30, "latin1");
    b.write(`${firmware}\0`, 66, "latin1");
    b.write("12/10/13\0", 79, "latin1");
    b.write("09:45:00\0", 91, "latin1");
    b.write(`${model}\0`, 152, "latin1");
    return b;
  }

  it("reads type, firmware and model from the answer; a request or another answer names nothing", () => {
    const r = run(pcworx, infoAnswer("ILC 330 ETH", "3.95", "2737193"));
    assert.deepEqual(r, { ok: true, ops: [], facts: ["pcworx.plc_type=ILC 330 ETH", "pcworx.firmware=3.95", "pcworx.model=2737193"] });
    const v = verdictOf({ "pcworx.plc_type": ["ILC 330 ETH"], "pcworx.firmware": ["3.95"] });
    assert.deepEqual([v.category, v.vendor, v.model, v.firmware, v.criticality], ["plc", "Phoenix Contact", "ILC 330 ETH", "3.95", "life-safety/physical-process"]);
    const init = Buffer.from("\x01\x01\0\x1a\0\0\0\0x\x80\0\x03\0\x0cIBETH01N0_M\0", "latin1");
    assert.deepEqual(run(pcworx, init), { facts: [], ops: [], ok: true });
    const initAnswer = Buffer.alloc(40);
    initAnswer[0] = 0x81;
    initAnswer[1] = 0x01;
    assert.deepEqual(run(pcworx, initAnswer).facts, []);
    assert.equal(run(pcworx, Buffer.from("GET / HTTP/1.1\r\n")).ok, false);
    const unterminated = infoAnswer("ILC 330 ETH", "3.95", "2737193").subarray(0, 40);
    assert.deepEqual(run(pcworx, unterminated).facts, [], "a string the segment cuts is not read");
    assert.ok(!run(pcworx, infoAnswer("ILC\u0007330", "3.95", "1")).facts.some((f) => f.startsWith("pcworx.plc_type")));
  });
});
