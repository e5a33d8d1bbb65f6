import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { fox } from "../src/dissect/fox.js";
import { hartIpUdp } from "../src/dissect/hart-ip.js";
import { knxnetIp } from "../src/dissect/knxnet-ip.js";
import { mqtt } from "../src/dissect/mqtt.js";
import { rtsp } from "../src/dissect/rtsp.js";
import { snmp } from "../src/dissect/snmp.js";
import { tuya } from "../src/dissect/tuya.js";
import { tuyaBeacon } from "../src/lab/payloads.js";
import { tuyaBeacon35 } from "./tuya-beacon35.js";
import type { ObservationKind } from "../src/model/observation.js";
import { NO_CORPUS, NO_TSHARK, corpus, inventoryOf, runDissector, tsharkFields } from "./helpers.js";

const run = runDissector;

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("IoT and building protocols", () => {
  it("MQTT CONNECT: client id and credentials sent in clear, without keeping the secret", () => {
    const body = Buffer.concat([hex("0004"), Buffer.from("MQTT"), hex("04 c2 003c"), hex("0006"), Buffer.from("plug-7"),
      hex("0005"), Buffer.from("admin"), hex("0006"), Buffer.from("s3cret")]);
    const r = run(mqtt, Buffer.concat([Buffer.from([0x10, body.length]), body]));
    assert.deepEqual(r.facts, ["mqtt.version=3.1.1", "mqtt.client_id=plug-7", "mqtt.cleartext_credentials=user admin with password"]);
    assert.ok(!r.facts.join(" ").includes("s3cret"));
  });

  it("SNMP response: the community the agent accepted, sysDescr, sysObjectID and sysName", () => {
    const vb = (oid: string, val: string): string => {
      const v = `${oid}${val}`;
      return `30${(v.length / 2).toString(16).padStart(2, "0")}${v}`;
    };
    const descr = Buffer.from("HP ETHERNET MULTI-ENVIRONMENT").toString("hex");
    const list = [
      vb("06082b06010201010100", `04${(descr.length / 2).toString(16)}${descr}`),
      vb("06082b06010201010200", "060a2b060104010b02030901"),
      vb("06082b06010201010500", `0407${Buffer.from("NPI0A1B").toString("hex")}`),
    ].join("");
    const pdu = `020101020100020100 30${(list.length / 2).toString(16)}${list}`.replace(/\s/g, "");
    const msg = `020101 0406${Buffer.from("public").toString("hex")} a2${(pdu.length / 2).toString(16)}${pdu}`.replace(/\s/g, "");
    const r = run(snmp, hex(`30${(msg.length / 2).toString(16)}${msg}`));
    assert.equal(r.ok, true);
    assert.deepEqual(r.facts, ["snmp.version=v2c", "snmp.community=response public", "snmp.sys_descr=HP ETHERNET MULTI-ENVIRONMENT",
      "snmp.sys_object_id=1.3.6.1.4.1.11.2.3.9.1", "snmp.sys_name=NPI0A1B"]);
  });

  it("RTSP: stream URL without credentials, and the camera's Server header", () => {
    const req = run(rtsp, Buffer.from("DESCRIBE rtsp://admin:12345@10.0.0.9:554/Streaming/Channels/101 RTSP/1.0\r\nCSeq: 2\r\nUser-Agent: LibVLC/3.0.18\r\n\r\n"));
    assert.deepEqual(req.facts, ["rtsp.url=rtsp://10.0.0.9:554/Streaming/Channels/101", "rtsp.user_agent=LibVLC/3.0.18"]);
    const res = run(rtsp, Buffer.from("RTSP/1.0 200 OK\r\nCSeq: 2\r\nServer: Hikvision-Webs\r\n\r\n"));
    assert.deepEqual(res.facts, ["rtsp.server=Hikvision-Webs"]);
  });

  it("Niagara Fox hello names the station", () => {
    const r = run(fox, Buffer.from("fox a 0 -1 fox hello\n{\nfox.version=s:1.0\nhostName=s:192.168.1.50\napp.name=s:Station\napp.version=s:3.8.38\nos.name=s:QNX\nstation.name=s:AHU_Plant\n};;\n"));
    assert.deepEqual(r.facts, ["fox.host_name=192.168.1.50", "fox.app_name=Station", "fox.app_version=3.8.38", "fox.os=QNX", "fox.station_name=AHU_Plant"]);
  });

  it("HART-IP: a device reset request is an operation", () => {
    const pdu = hex("82 a6 0b 12 34 56 2a 00");
    const header = Buffer.from([1, 0, 3, 0, 0, 1, 0, 8 + pdu.length]);
    const r = run(hartIpUdp, Buffer.concat([header, pdu]));
    assert.deepEqual(r.ops, ["hart.device-reset"]);
  });

  it("KNXnet/IP: search answer identity and a tunnelled group write", () => {
    const dib = Buffer.alloc(54);
    dib[0] = 54;
    dib[1] = 1;
    dib[2] = 0x02;
    dib.writeUInt16BE(0x1101, 4);
    hex("00fa12345678").copy(dib, 8);
    dib.write("MDT IP Interface", 24, "latin1");
    const hpai = hex("0801c0a8010a0e57");
    const search = Buffer.concat([hex("0610 0202"), Buffer.from([0, 6 + hpai.length + dib.length]), hpai, dib]);
    assert.deepEqual(run(knxnetIp, search).facts, ["knx.individual_address=1.1.1", "knx.serial=00fa12345678", "knx.friendly_name=MDT IP Interface"]);
    const cemi = hex("11 00 bc e0 1101 0a03 01 00 81");
    const tunnel = Buffer.concat([hex("0610 0420"), Buffer.from([0, 10 + cemi.length]), hex("04 01 00 00"), cemi]);
    assert.deepEqual(run(knxnetIp, tunnel).ops, ["knx.group-value-write (group 1/2/3)"]);
  });

  it("Tuya LAN beacon: device id, product key and version, encrypted (3.3+) or in clear (3.1)", () => {
    const r = run(tuya, tuyaBeacon("10.0.0.7", "bf0123456789abcdef01", "keyabc123def4567"));
    assert.deepEqual(r.facts, ["tuya.device_id=bf0123456789abcdef01", "tuya.product_key=keyabc123def4567", "tuya.version=3.3"]);
    const json = Buffer.from('{"ip":"10.0.0.8","gwId":"0123abcd","active":2,"productKey":"clearkey","version":"3.1"}');
    const frame = Buffer.concat([hex("000055aa 00000000 00000013"), Buffer.from([0, 0, 0, 4 + json.length + 8]), hex("00000000"), json, hex("00000000 0000aa55")]);
    assert.deepEqual(run(tuya, frame).facts, ["tuya.device_id=0123abcd", "tuya.product_key=clearkey", "tuya.version=3.1"]);
  });

  it("Tuya LAN beacon of protocol 3.5: the 0x6699 frame under AES-GCM, its header authenticated, on any port", () => {
    const iv = Buffer.from("0123456789ab");
    const frame = tuyaBeacon35("10.0.0.9", "bf35aabbccddeeff0011", "keytg5kq8gvkv9dh", iv);
    assert.deepEqual(run(tuya, frame).facts, ["tuya.device_id=bf35aabbccddeeff0011", "tuya.product_key=keytg5kq8gvkv9dh", "tuya.version=3.5"]);
    assert.ok(tuya.test!(frame, 0, frame.length), "recognised by its prefix, so a reply to an app's solicitation on UDP 7000 is read too");
    // The sequence is associated data: changing it, like changing a ciphertext or tag byte, fails authentication.
    for (const at of [7, 40, frame.length - 6]) {
      const forged = Buffer.from(frame);
      forged[at] ^= 1;
      assert.deepEqual(run(tuya, forged).facts, ["error tuya.undecryptable"], `byte ${at}`);
    }
    assert.deepEqual(run(tuya, frame.subarray(0, frame.length - 1)).facts, ["error tuya.bad-length"]);
    const long = Buffer.from(frame);
    long.writeUInt32BE(0xffffff00, 14);
    assert.deepEqual(run(tuya, long).facts, ["error tuya.bad-length"]);
  });

  it("Tuya LAN beacon: bad lengths, undecryptable bodies and broken JSON are counted", () => {
    const good = tuyaBeacon("10.0.0.7", "bf01", "key1");
    assert.deepEqual(run(tuya, good.subarray(0, good.length - 5)).facts, ["error tuya.bad-length"]);
    const garbled = Buffer.from(good);
    garbled[30] ^= 0xff;
    assert.match(run(tuya, garbled).facts.join(), /error tuya\.(undecryptable|bad-json)/);
    const odd = Buffer.concat([hex("000055aa 00000000 00000013 00000011 00000000"), Buffer.alloc(5, 1), hex("00000000 0000aa55")]);
    assert.deepEqual(run(tuya, odd).facts, ["error tuya.undecryptable"]);
    assert.equal(run(tuya, hex("000055aa0000")).ok, false);
  });
});

describe("Tuya beacons in real captures, decrypted by openssl", { skip: NO_CORPUS || NO_TSHARK }, () => {
  const key = createHash("md5").update("yGAdlopoPVldABfn").digest("hex");
  for (const rel of ["v4k0nd-ss-for-iot-MUD/mood_lamp-3204432/G06-mood_lamp-3204432.pcap", "v4k0nd-ss-for-iot-MUD/door_sensor-19JWT/G06-door_sensor-19JWT.pcapng"]) {
    it(rel, async () => {
      const rows = tsharkFields(corpus(rel), "udp.dstport == 6667", ["eth.src", "udp.payload"]);
      assert.ok(rows.length > 0);
      const expected = new Map<string, Set<string>>();
      for (const [mac, payload] of rows) {
        const b = Buffer.from(payload.replace(/:/g, ""), "hex");
        const body = b.subarray(20, b.length - 8);
        const clear = execFileSync("openssl", ["enc", "-d", "-aes-128-ecb", "-K", key], { input: body });
        const o = JSON.parse(clear.toString("utf8")) as { gwId: string; productKey: string; version: string };
        const set = expected.get(mac) ?? new Set<string>();
        for (const f of [`tuya.device_id=${o.gwId}`, `tuya.product_key=${o.productKey}`, `tuya.version=${o.version}`]) set.add(f);
        expected.set(mac, set);
      }
      const devices = await inventoryOf(corpus(rel));
      for (const [mac, want] of expected) {
        const d = devices.find((x) => x.mac === mac)!;
        const got = new Set(["tuya.device_id", "tuya.product_key", "tuya.version"].flatMap((k) => d.factValues(k as ObservationKind).map((v) => `${k}=${v}`)));
        assert.deepEqual(got, want);
      }
    });
  }
});
