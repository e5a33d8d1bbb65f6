import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FINS_OPERATIONS } from "../src/dissect/fins.js";
import { IEC104_COMMANDS } from "../src/dissect/iec104.js";
import type { Device } from "../src/inventory/device.js";
import type { ObservationKind } from "../src/model/observation.js";
import { HAVE_CORPUS, NO_CORPUS, NO_TSHARK, captureRows, corpus, inventoryOf, tsharkFields } from "./helpers.js";

function factSet(devices: Device[], kind: ObservationKind, map: (v: string) => string | undefined = (v) => v): Set<string> {
  const out = new Set<string>();
  for (const d of devices) for (const v of d.factValues(kind)) {
    const m = map(v);
    if (m !== undefined) out.add(m);
  }
  return out;
}

interface Oracle {
  /** Protocol name in CAPTURES.tsv's tshark column. */
  protocol: string;
  what: string;
  filter: string;
  field: string;
  /** tshark's value(s) of one frame to the set of expected values. */
  expect: (value: string) => string[];
  got: (devices: Device[]) => Set<string>;
}

const opsOf = (devices: Device[], prefix: string): Set<string> =>
  factSet(devices, "ot.operation", (v) => (v.startsWith(prefix) ? v.slice(prefix.length).split(" ")[0] : undefined));

const ORACLES: Oracle[] = [
  { protocol: "mqtt", what: "MQTT client ids", filter: "mqtt.clientid", field: "mqtt.clientid",
    expect: (v) => (v ? [v] : []), got: (d) => factSet(d, "mqtt.client_id") },
  { protocol: "mqtt", what: "MQTT published topics", filter: "mqtt.msgtype == 3", field: "mqtt.topic",
    expect: (v) => v.split(",").filter(Boolean), got: (d) => factSet(d, "mqtt.publish") },
  { protocol: "snmp", what: "SNMP communities in requests, responses and traps", filter: "snmp.community && (udp.dstport == 161 || udp.dstport == 162 || udp.srcport == 161) && !icmp",
    field: "snmp.community",
    expect: (v) => [v], got: (d) => factSet(d, "snmp.community", (v) => v.slice(v.indexOf(" ") + 1)) },
  { protocol: "sip", what: "SIP user agents", filter: "sip.User-Agent", field: "sip.User-Agent",
    expect: (v) => [v.trim()], got: (d) => factSet(d, "sip.user_agent") },
  { protocol: "coap", what: "CoAP request paths", filter: "coap.code >= 1 && coap.code <= 31", field: "coap.opt.uri_path",
    expect: (v) => [`/${v.split(",").filter(Boolean).join("/")}`], got: (d) => factSet(d, "coap.request", (v) => v.slice(v.indexOf(" ") + 1)) },
  { protocol: "iec60870_asdu", what: "IEC 104 commands (activation)", filter: "iec60870_asdu.causetx == 6 && iec60870_asdu.typeid", field: "iec60870_asdu.typeid",
    expect: (v) => v.split(",").map(Number).filter((t) => IEC104_COMMANDS[t]).map((t) => IEC104_COMMANDS[t]),
    got: (d) => opsOf(d, "iec104.") },
  { protocol: "pn_dcp", what: "PROFINET station names in answers", filter: "pn_dcp.suboption_device_nameofstation && (pn_dcp.service_type == 1 || pn_dcp.service_id == 4 && pn_dcp.service_type == 1)", field: "pn_dcp.suboption_device_nameofstation",
    expect: (v) => [v.trim()], got: (d) => factSet(d, "profinet.station_name") },
  { protocol: "goose", what: "GOOSE control block references", filter: "goose.gocbRef", field: "goose.gocbRef",
    expect: (v) => [v], got: (d) => factSet(d, "goose.gocb_ref") },
  { protocol: "goose", what: "GOOSE datasets", filter: "goose.datSet", field: "goose.datSet",
    expect: (v) => [v], got: (d) => factSet(d, "goose.dataset") },
  { protocol: "omron", what: "FINS commands", filter: "omron.command && omron.icf.dtb == 0", field: "omron.command",
    expect: (v) => [Number(v).toString(16).padStart(4, "0")],
    got: (d) => {
      const names = new Map(Object.entries(FINS_OPERATIONS).map(([k, n]) => [n, Number(k).toString(16).padStart(4, "0")]));
      const out = new Set([...opsOf(d, "fins.")].map((o) => names.get(o)!));
      for (const v of factSet(d, "fins.client")) out.add(v.replace("command 0x", ""));
      return out;
    } },
  { protocol: "opcua", what: "OPC UA endpoint URLs", filter: "opcua.transport.endpoint", field: "opcua.transport.endpoint",
    expect: (v) => [v], got: (d) => factSet(d, "opcua.endpoint") },
];

describe("application identity equals tshark's", { skip: NO_CORPUS || NO_TSHARK }, () => {
  for (const o of ORACLES) {
    const files = HAVE_CORPUS ? captureRows().filter((r) => r.protocols.includes(o.protocol)).map((r) => r.path) : [];
    describe(o.what, () => {
      it("has corpus captures to compare", () => assert.ok(files.length > 0));
      for (const rel of files) {
        it(rel, async () => {
          const file = corpus(rel);
          // frame.number keeps frames whose field is empty (an empty community, a CoAP request for "/").
          const expected = new Set(tsharkFields(file, o.filter, ["frame.number", o.field]).flatMap(([, v]) => o.expect(v ?? "")));
          const got = o.got(await inventoryOf(file));
          assert.deepEqual([...got].sort(), [...expected].sort());
        });
      }
    });
  }
});
