import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { dissectCdp } from "../src/dissect/cdp.js";
import type { DissectContext } from "../src/dissect/context.js";
import { dissectNeighbourDiscovery } from "../src/dissect/icmpv6-nd.js";
import { LINK_DISSECTORS } from "../src/dissect/link-registry.js";
import { newPacket } from "../src/dissect/packet.js";
import { APP_DISSECTORS } from "../src/dissect/registry.js";
import { demoCapture } from "../src/lab/demo.js";
import { rng } from "../src/lab/generate.js";
import { createPipeline } from "../src/pipeline.js";
import { readCapture } from "../src/sources/capture.js";
import { ErrorCounts } from "../src/net/error-counts.js";
import { HAVE_CORPUS, captureRows, corpus, tmpDir } from "./helpers.js";
import { tuyaBeacon35 } from "./tuya-beacon35.js";

type Mutation = (b: Buffer, r: () => number) => Buffer;

const MUTATIONS: Record<string, Mutation> = {
  "byte flips": (b, r) => {
    const c = Buffer.from(b);
    const n = 1 + Math.floor(r() * 16);
    for (let i = 0; i < n; i++) c[24 + Math.floor(r() * (c.length - 24))] ^= 1 << Math.floor(r() * 8);
    return c;
  },
  "random bytes over a span": (b, r) => {
    const c = Buffer.from(b);
    const at = Math.floor(r() * c.length);
    for (let i = at; i < Math.min(c.length, at + 64); i++) c[i] = Math.floor(r() * 256);
    return c;
  },
  truncation: (b, r) => b.subarray(0, Math.floor(r() * b.length)),
  "length fields set to extremes": (b, r) => {
    const c = Buffer.from(b);
    // Classic pcap record lengths sit at 24+8 and 24+12 of the first record; pcapng block
    // lengths at +4 of each block. Overwrite a few 32-bit words that are aligned like them.
    const words = Math.floor((c.length - 8) / 4);
    for (let i = 0; i < 4; i++) {
      const o = 8 + 4 * Math.floor(r() * words);
      c.writeUInt32LE([0, 1, 0xffffffff, 0x7fffffff, 65535, 65536][Math.floor(r() * 6)], o);
    }
    return c;
  },
};

async function runOne(file: string): Promise<{ errors: number; packets: number }> {
  const p = createPipeline({ flows: () => undefined });
  p.beginSource(file, "default");
  const errors = new ErrorCounts();
  await readCapture(file, p.push, errors);
  p.flush();
  return { errors: errors.total() + p.stats.errors.total(), packets: p.stats.packets };
}

describe("fuzzing: mutated captures never throw", () => {
  const dir = tmpDir("cordon-fuzz-");
  const seeds: { name: string; bytes: Buffer }[] = [{ name: "demo", bytes: demoCapture() }];
  if (HAVE_CORPUS) {
    for (const row of captureRows().filter((r) => r.bytes < 400_000).filter((_, i) => i % 4 === 0)) {
      seeds.push({ name: row.path, bytes: readFileSync(corpus(row.path)) });
    }
  }
  for (const [name, mutate] of Object.entries(MUTATIONS)) {
    it(`${name} (${seeds.length} captures)`, async () => {
      let counted = 0;
      for (let s = 0; s < seeds.length; s++) {
        for (let round = 0; round < 3; round++) {
          const seed = s * 1000 + round;
          const file = join(dir, "m.pcap");
          writeFileSync(file, mutate(seeds[s].bytes, rng(seed)));
          try {
            counted += (await runOne(file)).errors;
          } catch (e) {
            assert.fail(`${seeds[s].name}, mutation "${name}", seed ${seed}: ${(e as Error).stack}`);
          }
        }
      }
      assert.ok(counted > 0, "the mutations produced counted errors");
    });
  }
});

describe("fuzzing: dissectors on random and cut payloads", () => {
  const errors = new ErrorCounts();
  const pkt = newPacket();
  const ctx: DissectContext = { pkt, emit: () => undefined, operation: () => undefined, error: (k) => errors.add(k) };
  // Plausible starts of the binary OT protocols take the parsers past their first checks.
  const otStarts = [Buffer.from([0x03, 0x00, 0x00, 0x20, 0x02, 0xf0, 0x80, 0x32, 0x01]), Buffer.from([0x81, 0x0a, 0x00, 0x30, 0x01, 0x04]),
    Buffer.from([0x05, 0x64, 0x20, 0xc4]), Buffer.from([0x6f, 0x00, 0x40, 0x00]), Buffer.from([0x68, 0x0e, 0x00, 0x00]),
    Buffer.from([0x06, 0x10, 0x04, 0x20]), Buffer.from([0xfe, 0xfd, 0x04, 0x00]), Buffer.from([0x10, 0x20, 0x00, 0x04])];
  const r = rng(42);
  const payloads: Buffer[] = [];
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.alloc(Math.floor(r() * 300));
    for (let k = 0; k < b.length; k++) b[k] = Math.floor(r() * 256);
    payloads.push(b);
  }
  // Plausible starts make the parsers go deeper before the garbage.
  // A TLS ServerHello record followed by a Certificate message; TP-Link's autokey cipher of '{"system":'.
  const autokey = (t: string): Buffer => {
    const out = Buffer.alloc(t.length);
    for (let i = 0, k = 171; i < t.length; i++) k = out[i] = t.charCodeAt(i) ^ k;
    return out;
  };
  const starts = [Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]),
    Buffer.from([0x16, 0x03, 0x03, 0x00, 0x40, 0x02, 0x00, 0x00, 0x04, 0x03, 0x03, 0x00, 0x00, 0x0b, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x03, 0x00, 0x30, 0x82]),
    autokey('{"system":{"get_sysinfo":'),
    Buffer.from("GET / HTTP/1.1\r\nHost: "), Buffer.from("NOTIFY * HTTP/1.1\r\n"),
    // Device descriptions: a UPnP root and an HNAP answer, cut off where the garbage starts.
    Buffer.from('HTTP/1.1 200 OK\r\n\r\n<root xmlns="urn:schemas-upnp-org:device-1-0"><device><manufacturer>'),
    Buffer.from('<GetDeviceSettingsResponse xmlns="http://purenetworks.com/HNAP1/"><ModuleTypes><string>'), Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01]),
    // Tuya frames: 0x55AA and protocol 3.5's 0x6699 headers with a plausible length.
    Buffer.from([0, 0, 0x55, 0xaa, 0, 0, 0, 1, 0, 0, 0, 0x13, 0, 0, 0, 0x40, 0, 0, 0, 0]), Buffer.from([0, 0, 0x66, 0x99, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x13, 0, 0, 0, 0x40])];
  for (const s of [...starts, ...otStarts]) for (let i = 0; i < 500; i++) payloads.push(Buffer.concat([s, payloads[i]]));
  // A real 3.5 beacon with a few bytes changed: authentication must fail, never throw.
  const beacon35 = tuyaBeacon35("10.0.0.9", "bf35aabbccddeeff0011", "keytg5kq8gvkv9dh", Buffer.alloc(12, 7));
  const forged: Buffer[] = [];
  for (let i = 0; i < 300; i++) {
    const b = Buffer.from(beacon35);
    for (let k = 0; k < 1 + (i % 4); k++) b[Math.floor(r() * b.length)] ^= 1 + Math.floor(r() * 255);
    forged.push(b);
  }
  payloads.push(...forged);

  it("no Tuya 3.5 beacon with a changed byte is believed", () => {
    const tuyaLp = APP_DISSECTORS.find((d) => d.name === "tuya-lp")!;
    let facts = 0;
    const counting: DissectContext = { ...ctx, emit: () => void facts++ };
    for (const b of forged) tuyaLp.dissect(b, 0, b.length, counting);
    assert.equal(facts, 0);
    tuyaLp.dissect(beacon35, 0, beacon35.length, counting);
    assert.equal(facts, 3, "the unchanged beacon: device id, product key, version");
  });

  it("device descriptions with changed bytes: never a throw, every value printable and bounded", () => {
    const http = APP_DISSECTORS.find((d) => d.name === "http")!;
    const upnp = '<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device><deviceType>urn:schemas-upnp-org:device:MediaRenderer:1</deviceType>'
      + "<manufacturer>Sonos, Inc.</manufacturer><modelName>Sonos One</modelName><modelNumber>S13</modelNumber><softwareVersion>56.0-76060</softwareVersion></device></root>";
    const hnap = '<soap:Envelope><soap:Body><GetDeviceSettingsResponse xmlns="http://purenetworks.com/HNAP1/"><VendorName>D-Link</VendorName><ModelName>DSP-W215</ModelName>'
      + "<FirmwareVersion>1.10</FirmwareVersion><ModuleTypes><string>Camera</string></ModuleTypes></GetDeviceSettingsResponse></soap:Body></soap:Envelope>";
    const onvif = '<SOAP-ENV:Envelope xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><SOAP-ENV:Body><tds:GetDeviceInformationResponse><tds:Manufacturer>AXIS</tds:Manufacturer>'
      + "<tds:Model>P3245-LV</tds:Model><tds:FirmwareVersion>10.12.130</tds:FirmwareVersion><tds:SerialNumber>ACCC8E000001</tds:SerialNumber></tds:GetDeviceInformationResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>";
    const isapi = '<DeviceInfo version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema"><model>DS-2CD2142FWD-I</model><serialNumber>DS-2CD2142FWD-I2017</serialNumber>'
      + "<firmwareVersion>V5.4.5</firmwareVersion><deviceType>IPCamera</deviceType></DeviceInfo>";
    const values: string[] = [];
    const keeping: DissectContext = { ...ctx, emit: (_k, _s, v) => void values.push(v) };
    const meross = '{"header":{"messageId":"a1","namespace":"Appliance.System.All","method":"GETACK"},"payload":{"all":{"system":{"hardware":{"type":"mss310","version":"2.0.0"},"firmware":{"version":"2.1.17"}}}}}';
    for (const doc of [upnp, hnap, onvif, isapi, meross]) {
      for (let i = 0; i < 400; i++) {
        const b = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n\r\n${doc}`);
        for (let k = 0; k < 1 + (i % 6); k++) b[40 + Math.floor(r() * (b.length - 40))] = Math.floor(r() * 256);
        assert.doesNotThrow(() => http.dissect(b, 0, b.length, keeping));
      }
    }
    assert.ok(values.length > 2000, `${values.length} values read`);
    for (const v of values) assert.ok(v.length <= 512 && !/[\x00-\x1f\x7f]/.test(v), JSON.stringify(v));
  });

  it("device discovery answers with changed bytes (Edimax, SADP, GigE Vision, HID, Yeelight, WiZ, Govee, Daikin, DICOM, PC WORX, DHIP): never a throw, every value printable and bounded", () => {
    const find = (name: string) => APP_DISSECTORS.find((d) => d.name === name)!;
    const rotated = (clear: string, n: number): Buffer => {
      const b = Buffer.from(clear, "latin1");
      return Buffer.from(b.map((x, j) => (j === 0 ? 0x3c + n : ((x >> n) | (x << (8 - n))) & 0xff)));
    };
    const dhip = (body: string): Buffer => {
      const h = Buffer.alloc(32);
      h.writeUInt32LE(32, 0);
      h.write("DHIP", 4, "latin1");
      h.writeUInt32LE(Buffer.byteLength(body), 16);
      h.writeUInt32LE(Buffer.byteLength(body), 24);
      return Buffer.concat([h, Buffer.from(body)]);
    };
    const seeds: [string, (i: number) => Buffer, number][] = [
      ["edimax-cloud", (i) => rotated('<param><code value="1010" /><model value="SP-1101W" /><type value="SmartPlug" /><devfwver value="1.09#010001" /></param>', i % 8), 8],
      ["sadp", () => Buffer.from('<?xml version="1.0" encoding="UTF-8"?><ProbeMatch><DeviceDescription>DS-2CD2142FWD-I</DeviceDescription><DeviceSN>DS-2CD2142FWD-I2017</DeviceSN>'
        + "<AnalogChannelNum>0</AnalogChannelNum><DigitalChannelNum>1</DigitalChannelNum><SoftwareVersion>V5.4.5build 170124</SoftwareVersion></ProbeMatch>"), 50],
      ["gvcp", () => {
        const b = Buffer.alloc(8 + 0xf8);
        b.writeUInt16BE(0x0003, 2);
        b.writeUInt16BE(0xf8, 4);
        b.write("Basler", 8 + 0x48, "latin1");
        b.write("acA1920-25gm", 8 + 0x68, "latin1");
        b.write("V1.1-0", 8 + 0x88, "latin1");
        b.write("22334455", 8 + 0xd8, "latin1");
        return b;
      }, 8],
      ["hid-discoveryd", () => {
        const rest = ";00:06:8E:00:00:01;NoEntry;10.123.123.1;1;EH400;2.3.1.603;04/23/2012;";
        return Buffer.from(`discovered;${String("discovered;".length + 3 + rest.length).padStart(3, "0")}${rest}`, "latin1");
      }, 14],
      ["yeelight", () => Buffer.from("HTTP/1.1 200 OK\r\nLocation: yeelight://10.0.0.80:55443\r\nid: 0x000000000015243f\r\nmodel: color\r\nfw_ver: 18\r\n\r\n"), 60],
      ["wiz", () => Buffer.from('{"method":"getSystemConfig","env":"pro","result":{"mac":"a8bb5006033d","moduleName":"ESP01_SHRGB1C_31","fwVersion":"1.21.0"}}'), 20],
      ["govee", () => Buffer.from('{"msg":{"cmd":"scan","data":{"ip":"10.0.0.81","sku":"H6072","wifiVersionSoft":"1.02.03"}}}'), 20],
      ["daikin", () => Buffer.from("ret=OK,type=aircon,reg=eu,dst=1,ver=1_2_51,rev=D3A0C9F,pow=1,err=0,mac=A0B1C2D3E4F5"), 6],
      ["dicom", () => {
        const item = (type: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([type, 0, content.length >> 8, content.length & 0xff]), content]);
        const fixed = Buffer.alloc(68);
        fixed.writeUInt16BE(1, 0);
        fixed.write("PACS            CT_SCANNER1     ", 4, "latin1");
        const context = item(0x20, Buffer.concat([Buffer.from([1, 0, 0, 0]), item(0x30, Buffer.from("1.2.840.10008.5.1.4.1.1.2")), item(0x40, Buffer.from("1.2.840.10008.1.2"))]));
        const user = item(0x50, Buffer.concat([item(0x52, Buffer.from("1.2.840.113619.6.94")), item(0x55, Buffer.from("GEHC_CT_ADW1"))]));
        const body = Buffer.concat([fixed, context, user]);
        const h = Buffer.from([1, 0, 0, 0, 0, 0]);
        h.writeUInt32BE(body.length, 2);
        return Buffer.concat([h, body]);
      }, 42],
      ["pcworx", () => {
        const b = Buffer.alloc(200);
        b[0] = 0x81;
        b[1] = 0x06;
        b.write("ILC 330 ETH\0", 30, "latin1");
        b.write("3.95\0", 66, "latin1");
        b.write("2737193\0", 152, "latin1");
        return b;
      }, 2],
      ["dhip", () => dhip('{"method":"client.notifyDevInfo","params":{"deviceInfo":{"DeviceClass":"IPC","DeviceType":"IPC-HDW5421S","Version":"2.400.0.8","SerialNo":"1F006E4PAX00075"}}}'), 40],
    ];
    for (const [name, seed, keep] of seeds) {
      const d = find(name);
      const values: string[] = [];
      const keeping: DissectContext = { ...ctx, emit: (_k, _s, v) => void values.push(v) };
      for (let i = 0; i < 600; i++) {
        const b = seed(i);
        // Bytes after the opening changed, so that most messages are still recognised.
        for (let k = 0; k < 1 + (i % 5); k++) b[keep + Math.floor(r() * (b.length - keep))] = Math.floor(r() * 256);
        assert.doesNotThrow(() => d.dissect(b, 0, b.length, keeping), name);
      }
      assert.ok(values.length > 100, `${name}: ${values.length} values read`);
      for (const v of values) assert.ok(v.length <= 128 && !/[\x00-\x1f\x7f]/.test(v), `${name}: ${JSON.stringify(v)}`);
    }
  });

  it("every application dissector returns on any bytes", () => {
    for (const d of APP_DISSECTORS) {
      for (const b of payloads) {
        for (const len of [b.length, Math.floor(b.length / 2)]) {
          assert.doesNotThrow(() => d.dissect(b, 0, len, ctx), `${d.name} on ${b.subarray(0, len).toString("hex")}`);
        }
      }
    }
  });

  it("link-layer dissectors return on any bytes", () => {
    pkt.buf = Buffer.alloc(64);
    pkt.src6Off = 0;
    for (const b of payloads) {
      for (const f of [...LINK_DISSECTORS.values(), dissectCdp, dissectNeighbourDiscovery]) {
        assert.doesNotThrow(() => f(b, 0, b.length, ctx));
      }
    }
    assert.ok(errors.total() > 0);
  });
});
