import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readMudFile } from "../src/policy/mud/import.js";
import { mudRules } from "../src/policy/mud/rules.js";
import { NO_CORPUS, corpus, runCli, tmpDir } from "./helpers.js";

/**
 * Cordon's learned policy for each v4k0nd device against the MUD profile mudgee generated
 * from the same capture. Both are brought to one form: who starts, the peer (DNS name,
 * address or network, "gateway", "broadcast"), protocol and port. Every difference must have
 * a listed reason; anything else fails the test.
 */
interface Tuple { starts: "device" | "peer"; peer: string; proto: string; port: number }
interface Flow { proto: string; src_ip: string; dst_ip: string; initiator: string }

const DEVICES = [
  { dir: "tapo-p115", capture: "tapo-p115/G06-tapo-p115.pcap", mud: "tapo-p115/G06-tapo-p115.mud", mac: "40:ae:30:46:6e:a8" },
  { dir: "mood_lamp", capture: "mood_lamp-3204432/G06-mood_lamp-3204432.pcap", mud: "mood_lamp-3204432/mood_lamp-3204432Mud.json", mac: "b8:06:0d:18:84:b4" },
  { dir: "door_sensor", capture: "door_sensor-19JWT/G06-door_sensor-19JWT.pcapng", mud: "door_sensor-19JWT/G06-door_sensor-19JWT.mud", mac: "b8:06:0d:3b:47:f8" },
];

type RuleJson = { from: unknown; to: unknown; proto: string; ports: [number, number][] };

function peerName(e: unknown): string {
  if (e === "any") return "any";
  const o = e as Record<string, unknown>;
  if (typeof o.dns === "string") return o.dns;
  if (typeof o.cidr === "string") return o.cidr === "255.255.255.255/32" ? "broadcast" : o.cidr;
  if (o.group === "category:router") return "gateway";
  if (typeof o.group === "string") return o.group;
  const m = o.mud as { kind: string; uri?: string };
  return m.kind === "controller" && m.uri === "urn:ietf:params:mud:gateway" ? "gateway" : `mud:${m.kind}`;
}

function tuples(rules: RuleJson[], group: string): Tuple[] {
  const out: Tuple[] = [];
  for (const r of rules) {
    const own = (e: unknown): boolean => (e as { group?: string }).group === group;
    if (!own(r.from) && !own(r.to)) continue;
    const starts = own(r.from) ? "device" : "peer";
    const peer = peerName(starts === "device" ? r.to : r.from);
    for (const [lo, hi] of r.ports.length ? r.ports : [[0, 0]]) for (let p = lo; p <= hi; p++) out.push({ starts, peer, proto: r.proto, port: p });
  }
  return out;
}

const text = (t: Tuple): string => `${t.starts === "device" ? "device ->" : "-> device from"} ${t.peer} ${t.proto}/${t.port}`;

function inNetwork(ip: string, cidr: string): boolean {
  const [net, len] = cidr.split("/");
  if (!len || ip.includes(":") || net.includes(":")) return ip === net;
  const n = (a: string): number => a.split(".").reduce((x, o) => x * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(len));
  return Math.floor(n(ip) / size) === Math.floor(n(net) / size);
}

const same = (ours: Tuple, theirs: Tuple): boolean => ours.starts === theirs.starts && ours.proto === theirs.proto && ours.port === theirs.port
  && (ours.peer === theirs.peer || (/^[\d.]+\/\d+$/.test(ours.peer) && inNetwork(theirs.peer.split("/")[0], ours.peer)));

/** Why a tuple only one side has is expected, or undefined when it is not. */
function reason(t: Tuple, side: "cordon" | "mudgee", ctx: { ownIp: string; flows: Flow[] }): string | undefined {
  if (side === "cordon" && t.starts === "device" && t.peer === "gateway" && t.proto === "udp" && t.port === 53) return "DNS to the gateway: mudgee leaves name resolution implicit";
  if ((t.proto === "udp" && t.port === 67 && t.starts === "device" && (t.peer === "broadcast" || t.peer === "gateway"))
    || (side === "cordon" && t.proto === "udp" && t.port === 68 && t.starts === "peer" && t.peer === "gateway")) {
    return "DHCP: Cordon keeps the broadcast request and the gateway's unicast offer; mudgee writes one gateway-controller ACE, even for captures without DHCP";
  }
  if (side === "mudgee" && t.peer.split("/")[0] === ctx.ownIp) return "mudgee wrote an ACE whose peer is the device's own address";
  if (side === "cordon" && /^[\d.]+\/\d+$/.test(t.peer)) {
    const with_ = ctx.flows.filter((f) => inNetwork(f.dst_ip, t.peer) || inNetwork(f.src_ip, t.peer));
    if (with_.length > 0 && with_.every((f) => f.initiator === "unknown")) return "a connection already open when the capture began (no handshake, no DNS answer seen); mudgee leaves it out";
  }
  return undefined;
}

describe("learned policy against mudgee's MUD profiles (v4k0nd captures)", { skip: NO_CORPUS }, () => {
  for (const d of DEVICES) {
    it(`${d.dir}: same peers and ports after normalisation; each difference explained`, () => {
      const dir = tmpDir(`cordon-mudgee-${d.dir}-`);
      const db = join(dir, "c.db");
      const base = corpus("v4k0nd-ss-for-iot-MUD");
      assert.equal(runCli(["analyze", "--db", db, join(base, d.capture)]).status, 0);
      const learned = JSON.parse(runCli(["policy", "learn", "--db", db, "--all", "--format", "json"]).stdout) as { policy: { groups: Record<string, string[]>; rules: RuleJson[] } };
      const group = Object.entries(learned.policy.groups).find(([, m]) => m.includes(d.mac))?.[0];
      assert.ok(group, `${d.mac} is in a group`);
      const ours = tuples(learned.policy.rules, group);
      const theirs = tuples(mudRules(readMudFile(join(base, d.mud)), "dev").rules as RuleJson[], "dev");
      const flows = JSON.parse(runCli(["flows", "--db", db, "--format", "json"]).stdout) as Flow[];
      const devices = JSON.parse(runCli(["devices", "--db", db, "--format", "json"]).stdout) as { mac: string; ips: string[] }[];
      const ctx = { ownIp: devices.find((x) => x.mac === d.mac)!.ips.find((ip) => ip.startsWith("10.42."))!, flows };
      const matched = theirs.filter((t) => ours.some((o) => same(o, t)));
      const onlyTheirs = theirs.filter((t) => !ours.some((o) => same(o, t)));
      const onlyOurs = ours.filter((o) => !theirs.some((t) => same(o, t)));
      const unexplained = [
        ...onlyTheirs.filter((t) => !reason(t, "mudgee", ctx)).map((t) => `mudgee only: ${text(t)}`),
        ...onlyOurs.filter((t) => !reason(t, "cordon", ctx)).map((t) => `Cordon only: ${text(t)}`),
      ];
      const explained = [...onlyTheirs.map((t) => `mudgee only: ${text(t)}: ${reason(t, "mudgee", ctx)}`), ...onlyOurs.map((t) => `Cordon only: ${text(t)}: ${reason(t, "cordon", ctx)}`)];
      assert.deepEqual(unexplained, [], `matched ${matched.map(text).join("; ")}\n${explained.join("\n")}`);
      assert.ok(matched.length >= 2, `${matched.length} rules in common`);
      assert.ok(matched.some((t) => t.starts === "device" && t.proto === "tcp" && t.port === 443), "the cloud connection is in both");
    });
  }
});
