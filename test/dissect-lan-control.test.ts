import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { yeelight } from "../src/dissect/yeelight.js";
import { wiz } from "../src/dissect/wiz.js";
import { govee } from "../src/dissect/govee.js";
import { daikin } from "../src/dissect/daikin.js";
import { http } from "../src/dissect/http.js";
import { dnsMessage, dnsName, ethernet, ipv4, udp } from "../src/lab/craft.js";
import { writePcap } from "../src/lab/capture-writer.js";
import { classify } from "../src/classify/classify.js";
import { loadRules } from "../src/classify/rules.js";
import { deviceFacts } from "../src/classify/device-facts.js";
import { inventoryOf, runDissector as run, tmpDir } from "./helpers.js";

/** The facts a dissector states about the sender, as a device's fact map. */
function factsOf(r: { facts: string[] }): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of r.facts) {
    const [k, v] = [f.slice(0, f.indexOf("=")), f.slice(f.indexOf("=") + 1)];
    out.set(k, [...(out.get(k) ?? []), v]);
  }
  return out;
}
const verdict = (facts: Map<string, string[]>) => classify({ ouiVendor: undefined, router: false, hostnames: [], facts }, loadRules());

describe("lights, plugs and air conditioners controlled on the LAN state what they are", () => {
  it("Yeelight: an advertisement or a search answer names the light's model and firmware; a search names nobody", () => {
    // The shape of the Inter-Operation Specification's search answer.
    const answer = "HTTP/1.1 200 OK\r\nCache-Control: max-age=3600\r\nDate: \r\nExt: \r\nLocation: yeelight://10.0.0.80:55443\r\nServer: POSIX UPnP/1.0 YGLC/1\r\n"
      + "id: 0x000000000015243f\r\nmodel: color\r\nfw_ver: 18\r\nsupport: get_prop set_default set_power toggle set_bright\r\npower: on\r\nbright: 100\r\nname: \r\n\r\n";
    const r = run(yeelight, Buffer.from(answer));
    assert.deepEqual(r, { facts: ["yeelight.model=color", "yeelight.firmware=18"], ops: [], ok: true });
    const notify = answer.replace("HTTP/1.1 200 OK", "NOTIFY * HTTP/1.1\r\nHost: 239.255.255.250:1982\r\nNTS: ssdp:alive");
    assert.deepEqual(run(yeelight, Buffer.from(notify)).facts, r.facts);
    const search = 'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1982\r\nMAN: "ssdp:discover"\r\nST: wifi_bulb\r\n\r\n';
    assert.deepEqual(run(yeelight, Buffer.from(search)), { facts: [], ops: [], ok: true });
    assert.equal(run(yeelight, Buffer.from(answer.replace("yeelight://", "http://"))).ok, false, "an answer without a yeelight location is not Yeelight's");
    assert.deepEqual(run(yeelight, Buffer.from(answer.replace("model: color", "model: co lor;rm"))).facts, ["yeelight.firmware=18"]);
    const v = verdict(factsOf(r));
    assert.deepEqual([v.category, v.vendor, v.model, v.firmware], ["smart-light", "Yeelight", "color", "18"]);
  });

  it("WiZ: a device's system config names its module and firmware; a socket is a plug, an RGB module a light; a request names nobody", () => {
    const config = (module: string) => JSON.stringify({ method: "getSystemConfig", env: "pro", result: { mac: "a8bb5006033d", homeId: 653906, roomId: 989983, moduleName: module, fwVersion: "1.21.0", groupId: 0, drvConf: [20, 2], ping: 0 } });
    const bulb = run(wiz, Buffer.from(config("ESP01_SHRGB1C_31")));
    assert.deepEqual(bulb, { facts: ["wiz.module=ESP01_SHRGB1C_31", "wiz.firmware=1.21.0"], ops: [], ok: true });
    const plug = run(wiz, Buffer.from(config("ESP10_SOCKET_06")));
    const firstBeat = JSON.stringify({ method: "firstBeat", env: "pro", params: { mac: "a8bb5006033d", homeId: 653906, fwVersion: "1.15.2" } });
    assert.deepEqual(run(wiz, Buffer.from(firstBeat)).facts, ["wiz.firmware=1.15.2"]);
    assert.deepEqual(run(wiz, Buffer.from('{"method":"getSystemConfig","params":{}}')), { facts: [], ops: [], ok: true });
    assert.deepEqual(run(wiz, Buffer.from('{"method":"getSystemConfig","env":"pro","res')).facts, ["error wiz.bad-json"]);
    assert.equal(run(wiz, Buffer.from('{"hello":1}')).ok, false);
    assert.deepEqual([verdict(factsOf(bulb)).category, verdict(factsOf(bulb)).vendor, verdict(factsOf(bulb)).model], ["smart-light", "WiZ (Signify)", "ESP01_SHRGB1C_31"]);
    assert.equal(verdict(factsOf(plug)).category, "smart-plug");
    assert.equal(verdict(factsOf(run(wiz, Buffer.from(config("ESP20_FANDIMS_01"))))).category, "unknown", "a module of another kind is no light");
  });

  it("Govee: a light's scan answer names its sku and firmware; the scan itself names nobody", () => {
    const answer = JSON.stringify({ msg: { cmd: "scan", data: { ip: "10.0.0.81", device: "1F:80:C5:32:32:36:72:4E", sku: "H6072", bleVersionHard: "3.01.01", bleVersionSoft: "1.03.01", wifiVersionHard: "1.00.10", wifiVersionSoft: "1.02.03" } } });
    const r = run(govee, Buffer.from(answer));
    assert.deepEqual(r, { facts: ["govee.sku=H6072", "govee.firmware=1.02.03"], ops: [], ok: true });
    assert.deepEqual(run(govee, Buffer.from('{"msg":{"cmd":"scan","data":{"account_topic":"reserve"}}}')), { facts: [], ops: [], ok: true });
    assert.deepEqual(run(govee, Buffer.from('{"msg":{"cmd":"turn","data":{"value":1}}}')), { facts: [], ops: [], ok: true });
    assert.equal(run(govee, Buffer.from('{"msg":')).ok, false);
    assert.equal(run(govee, Buffer.from('{"other":1}')).ok, false);
    const v = verdict(factsOf(r));
    assert.deepEqual([v.category, v.vendor, v.model, v.firmware], ["smart-light", "Govee", "H6072", "1.02.03"]);
  });

  it("Daikin: an adapter's basic info is an air conditioner's, with its firmware; the request names nobody", () => {
    const info = "ret=OK,type=aircon,reg=eu,dst=1,ver=1_2_51,rev=D3A0C9F,pow=1,err=0,location=0,name=%4c%69%76%69%6e%67,icon=0,method=home only,port=30050,id=,pw=,lpw_flag=0,adp_kind=3,pv=2,cpv=2,cpv_minor=00,led=1,en_setzone=1,mac=A0B1C2D3E4F5,adp_mode=run,en_hol=0,grp_name=,en_grp=0";
    const r = run(daikin, Buffer.from(info));
    assert.deepEqual(r, { facts: ["daikin.type=aircon", "daikin.firmware=1.2.51"], ops: [], ok: true });
    assert.deepEqual(run(daikin, Buffer.from("DAIKIN_UDP/common/basic_info\n")), { facts: [], ops: [], ok: true });
    assert.deepEqual(run(daikin, Buffer.from("ret=PARAM NG,msg=404 Not Found")).facts, []);
    assert.deepEqual(run(daikin, Buffer.from("ret=OK,type=air con;rm,ver=1_2_51;x")).facts, [], "values outside their forms are not read");
    assert.equal(run(daikin, Buffer.from("hello there")).ok, false);
    const v = verdict(factsOf(r));
    assert.deepEqual([v.category, v.vendor, v.firmware, v.criticality], ["thermostat", "Daikin", "1.2.51", "life-safety/physical-process"]);
  });

  it("on the wire: a WiZ plug answering the app on 38899 is a smart plug of its module", async () => {
    const plug = { mac: "a8:bb:50:06:03:3d", ip: "10.0.0.82" };
    const body = Buffer.from(JSON.stringify({ method: "getSystemConfig", env: "pro", result: { mac: "a8bb5006033d", moduleName: "ESP10_SOCKET_06", fwVersion: "1.16.71" } }));
    const file = join(tmpDir("wiz-"), "wiz.pcap");
    writeFileSync(file, writePcap([{ tsUs: 1e15, data: ethernet("02:00:00:00:00:0c", plug.mac, 0x0800, ipv4({ src: plug.ip, dst: "10.0.0.12", proto: 17 }, udp(38899, 51000, body))) }]));
    const d = (await inventoryOf(file)).find((x) => x.mac === plug.mac)!;
    const v = classify(deviceFacts({ facts: d.factList(), ouiVendor: d.ouiVendor, router: d.router }), loadRules());
    assert.deepEqual([v.category, v.vendor, v.model, v.firmware], ["smart-plug", "WiZ (Signify)", "ESP10_SOCKET_06", "1.16.71"]);
  });
});

describe("Mi Home (miIO) devices by the model in the name they announce over mDNS", () => {
  const announce = (instance: string): Map<string, string[]> => new Map([["mdns.service", ["_miio._udp.local"]], ["mdns.instance", [`${instance}._miio._udp.local`]]]);

  it("the model names the kind and, for its own brands, the maker", () => {
    const cases: [string, string, string, string][] = [
      ["chuangmi-plug-m1_miio76421521", "smart-plug", "Xiaomi", "chuangmi-plug-m1"],
      ["yeelink-light-color1_miio12345678", "smart-light", "Yeelight", "yeelink-light-color1"],
      ["chuangmi-camera-ipc009_miio33445566", "camera", "Xiaomi", "chuangmi-camera-ipc009"],
      ["lumi-gateway-v3_miio55667788", "smart-hub", "Aqara", "lumi-gateway-v3"],
      ["roborock-vacuum-s5_miio260426251", "unknown", "Roborock", "roborock-vacuum-s5"],
    ];
    for (const [instance, category, vendor, model] of cases) {
      const v = verdict(announce(instance));
      assert.deepEqual([v.category, v.vendor, v.model], [category, vendor, model], instance);
    }
    assert.equal(verdict(announce("my-living-room_lamp")).vendor, undefined, "an instance without _miio and a device id is not a miIO model");
  });

  it("an mDNS answer on the wire carries the instance the rules read", async () => {
    const dev = { mac: "78:11:dc:00:00:01", ip: "10.0.0.83" };
    const instance = "chuangmi-plug-m1_miio76421521._miio._udp.local";
    const answer = dnsMessage(0, true, [], [{ name: "_miio._udp.local", type: 12, data: dnsName(instance) }]);
    const file = join(tmpDir("miio-"), "miio.pcap");
    writeFileSync(file, writePcap([{ tsUs: 1e15, data: ethernet("01:00:5e:00:00:fb", dev.mac, 0x0800, ipv4({ src: dev.ip, dst: "224.0.0.251", proto: 17 }, udp(5353, 5353, answer))) }]));
    const d = (await inventoryOf(file)).find((x) => x.mac === dev.mac)!;
    const v = classify(deviceFacts({ facts: d.factList(), ouiVendor: d.ouiVendor, router: d.router }), loadRules());
    assert.deepEqual([v.category, v.model], ["smart-plug", "chuangmi-plug-m1"]);
  });
});

describe("Meross devices by their answer to Appliance.System.All", () => {
  // The shape of a Meross plug's answer (MerossIot's and meross_lan's notes), cut short as a segment may be.
  const answer = (type: string) => JSON.stringify({
    header: { messageId: "a1b2c3", namespace: "Appliance.System.All", method: "GETACK", payloadVersion: 1, from: "/appliance/2101/publish", timestamp: 1700000000 },
    payload: { all: { system: { hardware: { type, subType: "us", version: "2.0.0", chipType: "mt7682", uuid: "2101", macAddress: "48:e1:e9:00:00:01" },
      firmware: { version: "2.1.17", compileTime: "2021/05/10", innerIp: "10.0.0.84", server: "iot.meross.com", port: 2001 } } } },
  });
  const ok = (body: string) => Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n${body}`);

  it("the hardware type names the model and kind, the firmware its version; the app's request names nobody", () => {
    const r = run(http, ok(answer("mss310")));
    const meross = r.facts.filter((f) => f.startsWith("meross."));
    assert.deepEqual(meross, ["meross.type=mss310", "meross.firmware=2.1.17"]);
    const v = verdict(factsOf({ facts: meross }));
    assert.deepEqual([v.category, v.vendor, v.model, v.firmware], ["smart-plug", "Meross", "mss310", "2.1.17"]);
    assert.equal(verdict(factsOf({ facts: run(http, ok(answer("msl120"))).facts.filter((f) => f.startsWith("meross.")) })).category, "smart-light");
    assert.equal(verdict(factsOf({ facts: run(http, ok(answer("mts200"))).facts.filter((f) => f.startsWith("meross.")) })).category, "thermostat");
    const cut = ok(answer("mss310")).subarray(0, 400);
    assert.ok(run(http, cut).facts.includes("meross.type=mss310"), "a document cut after the hardware still names it");
    const request = Buffer.from(JSON.stringify({ header: { messageId: "a1", namespace: "Appliance.System.All", method: "GET" }, payload: {} }));
    assert.deepEqual(run(http, request).facts.filter((f) => f.startsWith("meross.")), [], "the request's body, in a segment of its own");
  });
});
