import { dnsMessage } from "./craft.js";
import type { Device, SiteView } from "./site.js";
import * as P from "./payloads.js";

/** An injected attack or anomaly, and what a detector should conclude from it. */
export interface ScenarioRecord {
  name: string;
  /** Alert class, in the vocabulary of the corpus expected-alerts.json. */
  class: string;
  source: string;
  target?: string;
  startUs: number;
  note: string;
}

export interface Scenario {
  name: string;
  class: string;
  /** The persona whose device acts, and the persona it acts on (if any). */
  actor: string;
  target?: string;
  note: string;
  run(t: number, actor: Device, target: Device | undefined, site: SiteView): string | undefined;
}

const LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789";

export const SCENARIOS: Scenario[] = [
  {
    name: "port-scan", class: "scan", actor: "workstation", target: "modbus-plc", note: "SYN scan of ports 1-1024",
    run: (t, a, target, site) => {
      for (let port = 1; port <= 1024; port++) site.conv.probe(t + port * 2000, a, target!, 61000, port);
      return target!.ip;
    },
  },
  {
    name: "telnet-brute-force", class: "brute-force", actor: "smart-plug", note: "Mirai-style telnet attempts on 23/2323 across the site",
    run: (t, a, _target, site) => {
      const victims = site.peers("camera").concat(site.peers("voip-phone")).slice(0, 40);
      victims.forEach((v, i) => site.conv.probe(t + i * 5000, a, v, 40000 + i, i % 3 === 0 ? 2323 : 23));
      for (let i = 0; i < 12 && victims.length > 0; i++) {
        site.conv.tcp(t + 300_000 + i * 50_000, a, victims[0], 42000 + i, 23, [{ s: Buffer.from("login: ") }, { c: Buffer.from("root\r\n"), s: Buffer.from("Password: ") }, { c: Buffer.from("xc3511\r\n"), s: Buffer.from("Login incorrect\r\n") }]);
      }
      return undefined;
    },
  },
  {
    name: "dga-dns", class: "dga-domain", actor: "thermostat", note: "lookups of random-looking domains",
    run: (t, a, _target, site) => {
      for (let i = 0; i < 30; i++) {
        let name = "";
        for (let k = 0; k < 14; k++) name += LETTERS[Math.floor(site.rand() * LETTERS.length)];
        name += ".com";
        site.conv.udp(t + i * 100_000, a, site.infra, 33000 + i, 53, dnsMessage(i, false, [{ name, type: 1 }]), dnsMessage(i, true, [{ name, type: 1 }]));
      }
      return undefined;
    },
  },
  {
    name: "exfiltration", class: "volume", actor: "camera", note: "a 20 MB upload to an address the camera never used",
    run: (t, a, _target, site) => {
      const drop = { mac: site.gateway.mac, ip: "203.0.113.77" };
      const chunk = Buffer.alloc(1400, 0x41);
      site.conv.tcp(t, a, drop, 45555, 443, Array.from({ length: 14_000 }, () => ({ c: chunk })));
      return drop.ip;
    },
  },
  {
    name: "plc-stop", class: "ot-operation", actor: "workstation", target: "s7-plc", note: "S7 PLC stop from a host that is not the engineering workstation",
    run: (t, a, target, site) => {
      site.conv.tcp(t, a, target!, 49999, 102, [{ c: P.cotpConnect(), s: P.cotpConnect() }, { c: P.s7Setup(1), s: P.s7Setup(1) }, { c: P.s7Stop(2) }]);
      return target!.ip;
    },
  },
  {
    name: "new-peer", class: "new-peer", actor: "infusion-pump", note: "the pump opens a session to an external address it never used",
    run: (t, a, _target, site) => {
      const peer = { mac: site.gateway.mac, ip: "198.51.100.23" };
      site.conv.tcp(t, a, peer, 47000, 8443, [{ c: Buffer.alloc(200, 0x16), s: Buffer.alloc(900, 0x17) }]);
      return peer.ip;
    },
  },
];
