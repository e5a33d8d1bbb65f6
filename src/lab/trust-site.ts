import { dnsMessage, ipv4Bytes, tlsClientHello } from "./craft.js";
import type { Host } from "./conversation.js";
import * as P from "./payloads.js";
import type { Device, Persona, SiteView } from "./site.js";

/**
 * A plant with a known trust structure, for the trust graph (`cordon lab --site ot-trust`):
 * an engineering workstation that programs every S7 PLC and reaches the internet, an HMI that
 * writes to the Modbus PLCs, a BMS server that commands the BACnet controllers, a vendor's
 * remote-access box that takes VNC sessions to the BMS from its cloud, an NMS that reads and
 * writes every switch and printer with one SNMP community, and cameras of two makers that
 * run the same embedded web server and fetch firmware from one update server. Persona weights
 * are device counts at the site's default size (`TRUST_SITE_DEVICES`). What the generator
 * built is written to labels.json as `trust`, for tests to compare with what Cordon derives.
 */

export const LAB_COMMUNITY = "plant-ops-rw";
export const CAMERA_SDK_BANNER = "GoAhead-Webs/2.5.0";
export const UPDATE_NAME = "firmware.cams.lab.example";

const WINDOWS_PARAMS = [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252];

/** Resolves a name the site's DNS answers with an internal address. */
function lookupInternal(t: number, self: Device, site: SiteView, name: string, target: Host): void {
  const id = Math.floor(site.rand() * 65535);
  site.conv.udp(t, self, site.infra, 30000 + (id % 30000), 53, dnsMessage(id, false, [{ name, type: 1 }]),
    dnsMessage(id, true, [{ name, type: 1 }], [{ name, type: 1, data: ipv4Bytes(target.ip) }]));
}

function callHome(t: number, self: Device, site: SiteView, name: string): void {
  const server = site.cloud(name);
  const id = Math.floor(site.rand() * 65535);
  site.conv.udp(t, self, site.infra, 30000 + (id % 30000), 53, dnsMessage(id, false, [{ name, type: 1 }]),
    dnsMessage(id, true, [{ name, type: 1 }], [{ name, type: 1, data: ipv4Bytes(server.ip) }]));
  site.conv.tcp(t + 5000, self, server, 40000 + Math.floor(site.rand() * 20000), 443, [{ c: tlsClientHello(name), s: Buffer.alloc(600, 0x17) }, { c: Buffer.alloc(300, 0x17) }]);
}

const camera = (name: string, label: Persona["label"], oui: string): Persona => ({
  name, label, oui, weight: 3, period: 600, hostname: (i) => `${name}-${i}`, dhcpParams: [1, 3, 6, 12, 15, 28, 42],
  act: (t, self, site) => {
    const server = site.peers("update-server")[0];
    if (!server) return;
    lookupInternal(t, self, site, UPDATE_NAME, server);
    site.conv.tcp(t + 5000, self, server, 41000 + Math.floor(site.rand() * 20000), 80,
      [{ c: P.httpGet(UPDATE_NAME, `/${name}/latest.bin`, `${label.vendor} updater`), s: P.httpOk("nginx", Buffer.alloc(1200, 0x5a)) }]);
  },
});

export const TRUST_PERSONAS: Persona[] = [
  {
    name: "engineering-workstation", label: { vendor: "Dell", model: "Precision", category: "engineering-workstation" }, oui: "106530", weight: 1, period: 600,
    hostname: (i) => `EWS-${i}`, dhcpParams: WINDOWS_PARAMS, vendorClass: "MSFT 5.0",
    act: (t, self, site) => {
      site.peers("s7-plc").forEach((plc, k) => {
        site.conv.tcp(t + k * 20_000, self, plc, 49500 + k, 102, [
          { c: P.cotpConnect(), s: P.cotpConnect() },
          { c: P.s7Setup(1), s: P.s7Setup(1) },
          { s: P.s7SzlModuleAnswer(2, "6ES7 315-2EH14-0AB0", [3, 3, 12]) },
          { c: P.s7RequestDownload(3) },
        ]);
      });
      callHome(t + 200_000, self, site, "support.industry.siemens.com");
    },
  },
  { name: "s7-plc", label: { vendor: "Siemens", model: "6ES7 315-2EH14-0AB0", category: "plc" }, oui: "208756", weight: 4, period: 3600, hostname: (i) => `s7-300-${i}`, dhcpParams: [1, 3], act: () => undefined },
  {
    name: "hmi", label: { vendor: "Dell", model: "OptiPlex", category: "hmi" }, oui: "106530", weight: 1, period: 60,
    hostname: (i) => `HMI-${i}`, dhcpParams: WINDOWS_PARAMS, vendorClass: "MSFT 5.0",
    act: (t, self, site) => {
      site.peers("modbus-plc").forEach((plc, k) => {
        const tid = Math.floor(site.rand() * 60000);
        site.conv.tcp(t + k * 30_000, self, plc, 49000 + Math.floor(site.rand() * 10000), 502, [
          { c: P.modbusReadHolding(tid, 1, 0, 10), s: P.modbusReadHoldingAnswer(tid, 1, 10) },
          { c: P.modbusWriteSingle(tid + 1, 1, 40, 7), s: P.modbusWriteSingle(tid + 1, 1, 40, 7) },
        ]);
      });
    },
  },
  { name: "modbus-plc", label: { vendor: "Schneider Electric", model: "BMX P34 2020", category: "plc" }, oui: "000054", weight: 3, period: 3600, hostname: (i) => `m340-${i}`, dhcpParams: [1, 3], act: () => undefined },
  {
    name: "bms-server", label: { vendor: "Dell", model: "PowerEdge", category: "server" }, oui: "106530", weight: 1, period: 300,
    hostname: (i) => `bms-${i}`, dhcpParams: WINDOWS_PARAMS, vendorClass: "MSFT 5.0",
    act: (t, self, site) => {
      site.peers("bacnet-controller").forEach((c, k) => {
        const invoke = Math.floor(site.rand() * 255);
        site.conv.udp(t + k * 10_000, self, c, 47808, 47808, P.bacnetWriteProperty(invoke, 21.5), P.bacnetWriteAck(invoke));
      });
    },
  },
  {
    name: "bacnet-controller", label: { vendor: "Johnson Controls", model: "FX-PCG", category: "building-controller" }, oui: "00108d", weight: 6, period: 600,
    hostname: (i) => `fx-${i}`, dhcpParams: [1, 3, 6],
    act: (t, self, site) => site.conv.broadcast(t, self, "ff:ff:ff:ff:ff:ff", "255.255.255.255", 47808, 47808, P.bacnetIAm(10_000 + self.index, 5)),
  },
  {
    // A remote-access box: holds a session to its vendor's cloud and opens VNC to the BMS.
    name: "vendor-gateway", label: { vendor: "HMS Industrial Networks", model: "eWON Cosy 131", category: "network-infrastructure" }, oui: "0003f4", weight: 1, period: 900,
    hostname: (i) => `cosy-${i}`, dhcpParams: [1, 3, 6, 15],
    act: (t, self, site) => {
      callHome(t, self, site, "vpn.talk2m.com");
      const bms = site.peers("bms-server")[0];
      if (bms) site.conv.tcp(t + 400_000, self, bms, 52000 + Math.floor(site.rand() * 1000), 5900, [{ s: Buffer.from("RFB 003.008\n"), c: Buffer.from("RFB 003.008\n") }, { c: Buffer.alloc(400, 0x20), s: Buffer.alloc(4000, 0x21) }]);
    },
  },
  {
    name: "nms", label: { vendor: "Dell", model: "PowerEdge", category: "server" }, oui: "106530", weight: 1, period: 300,
    hostname: (i) => `nms-${i}`, dhcpParams: [1, 3, 6, 15, 28],
    act: (t, self, site) => {
      [...site.peers("switch"), ...site.peers("printer")].forEach((agent, k) => {
        site.conv.udp(t + k * 5000, self, agent, 40100 + k, 161, P.snmpGetSysDescr(LAB_COMMUNITY), P.snmpSysDescr(LAB_COMMUNITY, `${agent.persona.label.vendor} ${agent.persona.label.model}`));
        site.conv.udp(t + k * 5000 + 2000, self, agent, 40200 + k, 161, P.snmpSetContact(LAB_COMMUNITY, "plant-noc"), P.snmpSysDescr(LAB_COMMUNITY, "plant-noc"));
      });
    },
  },
  { name: "switch", label: { vendor: "Cisco", model: "IE-4000", category: "network-infrastructure" }, oui: "00a289", weight: 4, period: 3600, hostname: (i) => `ie4k-${i}`, dhcpParams: [1, 3, 6], act: () => undefined },
  {
    name: "printer", label: { vendor: "Brother", model: "HL-L8360CDW", category: "printer" }, oui: "3c2af4", weight: 2, period: 600,
    hostname: (i) => `BRW3C2AF4${(0x100000 + i).toString(16).slice(-6).toUpperCase()}`, dhcpParams: [1, 3, 6, 12, 15, 44],
    act: (t, self, site) => site.conv.broadcast(t, self, "01:00:5e:00:00:fb", "224.0.0.251", 5353, 5353,
      P.mdnsService(`Brother HL-L8360CDW ${self.index}`, "_ipp._tcp.local", self.hostname, self.ip)),
  },
  camera("camera-a", { vendor: "Foscam", model: "FI9821P", category: "camera" }, "c4d655"),
  camera("camera-b", { vendor: "Wansview", model: "Q3S", category: "camera" }, "78a5dd"),
  {
    // Records the cameras and administers them over their web interface, which names its server.
    name: "nvr", label: { vendor: "Hikvision", model: "DS-7608NI", category: "nvr" }, oui: "188025", weight: 1, period: 120,
    hostname: (i) => `nvr-${i}`, dhcpParams: [1, 3, 6, 15],
    act: (t, self, site) => {
      [...site.peers("camera-a"), ...site.peers("camera-b")].forEach((cam, k) => {
        site.conv.tcp(t + k * 20_000, self, cam, 50000 + Math.floor(site.rand() * 10000), 554, [{ c: P.rtspDescribe(`rtsp://${cam.ip}/live`, "Hikvision NVR"), s: P.rtspOk(CAMERA_SDK_BANNER) }]);
        site.conv.tcp(t + k * 20_000 + 5000, self, cam, 51000 + Math.floor(site.rand() * 10000), 80, [{ c: P.httpGet(cam.ip, "/cgi-bin/status", "Hikvision NVR"), s: P.httpOk(CAMERA_SDK_BANNER, Buffer.from("ok")) }]);
      });
    },
  },
  { name: "update-server", label: { vendor: "Dell", model: "PowerEdge", category: "server" }, oui: "106530", weight: 1, period: 3600, hostname: (i) => `fwupd-${i}`, dhcpParams: [1, 3, 6, 15], act: () => undefined },
  {
    name: "workstation", label: { vendor: "Dell", model: "OptiPlex", category: "workstation" }, oui: "106530", weight: 4, period: 120,
    hostname: (i) => `WS-${String(i).padStart(4, "0")}`, dhcpParams: WINDOWS_PARAMS, vendorClass: "MSFT 5.0",
    act: (t, self, site) => callHome(t, self, site, "login.microsoftonline.com"),
  },
];

export const TRUST_SITE_DEVICES = TRUST_PERSONAS.reduce((s, p) => s + p.weight, 0);

/** What the generator built, by device MAC: who operates, manages and updates whom, who shares the community and the web server. */
export interface TrustStructure {
  operates: [string, string][];
  manages: [string, string][];
  updates: [string, string][];
  community: string[];
  sdk: string[];
  /** Devices that open sessions to the internet. */
  internet: string[];
}

export function trustStructure(peers: (persona: string) => Device[]): TrustStructure {
  const macs = (...names: string[]): string[] => names.flatMap((n) => peers(n).map((d) => d.mac));
  const pairs = (from: string, ...to: string[]): [string, string][] => macs(from).flatMap((a) => macs(...to).map((b): [string, string] => [a, b]));
  return {
    operates: [...pairs("engineering-workstation", "s7-plc"), ...pairs("hmi", "modbus-plc"), ...pairs("bms-server", "bacnet-controller")],
    manages: [...pairs("vendor-gateway", "bms-server"), ...pairs("nms", "switch", "printer"), ...pairs("nvr", "camera-a", "camera-b")],
    updates: pairs("update-server", "camera-a", "camera-b"),
    community: macs("nms", "switch", "printer"),
    sdk: macs("camera-a", "camera-b"),
    internet: macs("engineering-workstation", "vendor-gateway", "workstation"),
  };
}
