import { canonicalVendor, knownVendor } from "../inventory/vendor-names.js";
import { printable } from "../model/values.js";

/**
 * What a device is, for matching advisories: maker, product, order or model numbers, firmware
 * and serial, read from every fact that tells them, each field with the fact it came from. The
 * device's own protocols speak first (an S7's SZL, a CIP identity, SNMP, LLDP), then what a
 * person imported from a CMDB, then banners (SIP, SSDP, HTTP, mDNS TXT, its TLS certificate),
 * then the classifier's verdict. Every candidate is kept as evidence, so a disagreement shows.
 */

export type IdentityField = "vendor" | "product" | "model" | "firmware" | "serial";

export interface IdentityClaim {
  field: IdentityField;
  value: string;
  /** The fact kind it was read from (`s7.firmware`, `snmp.sys_descr`), or `verdict`. */
  from: string;
  /** The fact's whole value, when the claim is a part of it. */
  fact: string;
}

export interface DeviceIdentityView {
  vendor?: string;
  product?: string;
  models: string[];
  firmware?: string;
  serial?: string;
  claims: IdentityClaim[];
}

interface Fact {
  kind: string;
  value: string;
  /** When it was last seen: of two values of one kind, the newer is believed (a firmware update). */
  lastUs?: number;
}

type Reader = (value: string, claim: (field: IdentityField, value: string | undefined) => void) => void;

const MAX_VALUE = 128;
const VERSION = /(?:^|[\s,;(:/_-])(?:v(?:er(?:sion)?)?\.?\s*)?(\d+(?:\.\d+){1,4}[a-z]?(?:[\s_-]?(?:sp|hf|update|build|patch)\s*\d+)?)\b/i;
/** Siemens order numbers (MLFB): 6ES7 518-4AP00-0AB0, 6GK5204-2BB10-2AA3. */
const ORDER_NUMBER = /\b(6[A-Z]{2}\d\s?\d{3}-\d[A-Z0-9]{4}-\d[A-Z0-9]{3})\b/;
/** Server software that says nothing of the device it runs on. */
const GENERIC_SERVERS = /^(linux|upnp|http|dlnadoc|apache|nginx|lighttpd|boa|goahead-webs|goahead|micro_httpd|mini_httpd|thttpd|jetty|microsoft-iis|portable sdk for upnp devices|allegro-software-rompager|rompager|openssl|mod_ssl|php|python|werkzeug|node\.js|express|windows|win32|intel sdk for upnp devices|sdk|redsonic|ipos|unknown)$/i;

const ofSiemens: Reader = (_v, claim) => claim("vendor", "Siemens");

/** `Name/1.2.3` tokens of a Server or User-Agent header whose name is a maker the alias table knows. */
function productTokens(value: string, claim: (field: IdentityField, value: string | undefined) => void): void {
  for (const m of value.matchAll(/([A-Za-z][\w .+-]{1,40}?)\/(v?\d[\w.-]{0,30})/g)) {
    const name = m[1]!.trim();
    if (GENERIC_SERVERS.test(name)) continue;
    const maker = knownVendor(name.split(/[\s-]/)[0]!) ?? knownVendor(name);
    if (!maker) continue;
    claim("vendor", maker);
    const product = name.slice(name.split(/[\s-]/)[0]!.length).replace(/^[\s-]+/, "");
    if (product) claim("product", product);
    claim("firmware", m[2]);
    return;
  }
}

/** `Yealink SIP-T46S 66.86.0.15`: maker, product, version, when the first word is a maker the alias table knows. */
function makerProductVersion(value: string, claim: (field: IdentityField, value: string | undefined) => void): void {
  const words = value.trim().split(/\s+/);
  const maker = knownVendor(words[0] ?? "");
  if (!maker) return productTokens(value, claim);
  claim("vendor", maker);
  const version = VERSION.exec(value)?.[1];
  const rest = words.slice(1).filter((w) => !version || !w.includes(version)).join(" ");
  if (rest) claim("product", rest);
  claim("firmware", version);
}

/** SNMP sysDescr, LLDP system description: comma-separated fields (Siemens), or prose with a version. */
function systemDescription(value: string, claim: (field: IdentityField, value: string | undefined) => void): void {
  const order = ORDER_NUMBER.exec(value)?.[1];
  if (order) claim("model", order);
  // "FW: Version V5.2.5", "SW.V 13.0.1", "firmware 2.1", else "Version 12.2(44)SE"; never "HW:0".
  const fw = /\b(?:FW|SW|firmware|software)(?:\.?\s*V(?=[\s\d]))?\s*:?\s*(?:version\s*)?(v?\d[\w.()-]*)/i.exec(value)?.[1] ?? /\bversion\s+(v?\d[\w.()-]*)/i.exec(value)?.[1];
  claim("firmware", fw?.replace(/[,.;]+$/, ""));
  const fields = value.split(/\s*,\s*/);
  const maker = knownVendor(fields[0] ?? "") ?? knownVendor(value.split(/\s+/)[0] ?? "");
  if (maker) {
    claim("vendor", maker);
    // "Siemens, SIMATIC NET, SCALANCE X204-2, 6GK5 204-2BB10-2AA3, HW: …": the product is the field before the order number.
    const at = fields.findIndex((f) => ORDER_NUMBER.test(f));
    const product = at > 1 ? fields[at - 1] : undefined;
    if (product && !/:|\bversion\b/i.test(product)) claim("product", product);
  }
}

/** mDNS TXT `key=value`: the keys device makers use for model, maker and firmware. */
function mdnsTxt(value: string, claim: (field: IdentityField, value: string | undefined) => void): void {
  const m = /^([^=]{1,32})=(.*)$/.exec(value);
  if (!m) return;
  const key = m[1]!.toLowerCase();
  const v = m[2]!.trim();
  if (["md", "model", "mdl", "modelname", "ty", "product"].includes(key)) claim("product", v);
  else if (["manufacturer", "mfg", "usb_mfg", "vendor"].includes(key)) claim("vendor", canonicalVendor(v));
  else if (["fv", "fw", "firmware", "fwversion", "firmware_version", "swversion", "srcvers"].includes(key)) claim("firmware", v);
  else if (["serialnumber", "serial", "sn"].includes(key)) claim("serial", v);
}

/** A certificate subject `O=MOBOTIX AG, CN=P3 D24M`: the organisation, if a known maker, and its CN as product. */
function certificateSubject(value: string, claim: (field: IdentityField, value: string | undefined) => void): void {
  const attr = (a: string): string | undefined => new RegExp(`(?:^|, )${a}=((?:[^,\\\\]|\\\\.)*)`).exec(value)?.[1]?.replace(/\\(.)/g, "$1");
  const maker = knownVendor(attr("O") ?? "");
  if (!maker) return;
  claim("vendor", maker);
  const cn = attr("CN");
  if (cn && !/\./.test(cn)) claim("product", cn);
}

/**
 * Fact kinds that tell what a device is, in the order they are believed: the device's own
 * protocols (OT identities, SNMP, LLDP, CDP) over a person's CMDB over a banner. Firmware
 * follows the same order, so a running device's own report beats a stale CMDB row.
 */
const READERS: [string, Reader][] = [
  ["s7.order_number", (v, claim) => { claim("model", v); ofSiemens(v, claim); }],
  ["s7.module_type", (v, claim) => claim("product", v)],
  ["s7.firmware", (v, claim) => claim("firmware", v)],
  ["s7.serial", (v, claim) => claim("serial", v)],
  ["cip.product_name", (v, claim) => claim("product", v)],
  ["cip.revision", (v, claim) => claim("firmware", v)],
  ["cip.serial", (v, claim) => claim("serial", v)],
  ["modbus.vendor", (v, claim) => claim("vendor", canonicalVendor(v))],
  ["modbus.product_name", (v, claim) => claim("product", v)],
  ["modbus.model_name", (v, claim) => claim("product", v)],
  ["modbus.product_code", (v, claim) => claim("model", v)],
  ["modbus.revision", (v, claim) => claim("firmware", v)],
  ["bacnet.vendor_name", (v, claim) => claim("vendor", canonicalVendor(v))],
  ["bacnet.model_name", (v, claim) => claim("product", v)],
  ["bacnet.firmware", (v, claim) => claim("firmware", v)],
  ["bacnet.application_version", (v, claim) => claim("firmware", v)],
  ["fins.model", (v, claim) => { claim("product", v); claim("vendor", "Omron"); }],
  ["fins.version", (v, claim) => claim("firmware", v)],
  ["fox.app_version", (v, claim) => { claim("firmware", v); claim("vendor", "Tridium"); claim("product", "Niagara"); }],
  ["knx.serial", (v, claim) => claim("serial", v)],
  ["ubnt.model", (v, claim) => { claim("product", v); claim("vendor", "Ubiquiti"); }],
  ["ubnt.firmware", (v, claim) => claim("firmware", VERSION.exec(v)?.[1] ?? v)],
  ["tplink.model", (v, claim) => { claim("product", v.replace(/\(.*\)$/, "").trim()); claim("vendor", "TP-Link"); }],
  ["tplink.firmware", (v, claim) => claim("firmware", VERSION.exec(v)?.[1] ?? v)],
  ["sadp.model", (v, claim) => { claim("product", v); claim("vendor", "Hikvision"); }],
  ["sadp.firmware", (v, claim) => claim("firmware", /^V?(\d+(?:\.\d+)+)/.exec(v)?.[1] ?? v)],
  ["dahua.model", (v, claim) => { claim("product", v); claim("vendor", "Dahua"); }],
  ["dahua.firmware", (v, claim) => claim("firmware", v)],
  ["gige.manufacturer", (v, claim) => claim("vendor", canonicalVendor(v))],
  ["gige.model", (v, claim) => claim("product", v)],
  ["gige.version", (v, claim) => claim("firmware", v)],
  ["hid.model", (v, claim) => { claim("product", v); claim("vendor", "HID Global"); }],
  ["hid.firmware", (v, claim) => claim("firmware", v)],
  ["yeelight.model", (v, claim) => { claim("product", v); claim("vendor", "Yeelight"); }],
  ["yeelight.firmware", (v, claim) => claim("firmware", v)],
  ["wiz.module", (v, claim) => { claim("product", v); claim("vendor", "WiZ (Signify)"); }],
  ["wiz.firmware", (v, claim) => claim("firmware", v)],
  ["govee.sku", (v, claim) => { claim("product", v); claim("vendor", "Govee"); }],
  ["govee.firmware", (v, claim) => claim("firmware", v)],
  ["daikin.type", (_v, claim) => claim("vendor", "Daikin")],
  ["daikin.firmware", (v, claim) => claim("firmware", v)],
  ["onvif.manufacturer", (v, claim) => claim("vendor", canonicalVendor(v))],
  ["onvif.model", (v, claim) => claim("product", v)],
  ["onvif.firmware", (v, claim) => claim("firmware", v)],
  ["isapi.model", (v, claim) => { claim("product", v); claim("vendor", "Hikvision"); }],
  ["isapi.firmware", (v, claim) => claim("firmware", /^V?(\d+(?:\.\d+)+)/.exec(v)?.[1] ?? v)],
  ["pcworx.plc_type", (v, claim) => { claim("product", v); claim("vendor", "Phoenix Contact"); }],
  ["pcworx.firmware", (v, claim) => claim("firmware", v)],
  ["edimax.model", (v, claim) => { claim("product", v); claim("vendor", "Edimax"); }],
  ["edimax.firmware", (v, claim) => claim("firmware", v)],
  ["hnap.vendor", (v, claim) => claim("vendor", canonicalVendor(v))],
  ["hnap.model", (v, claim) => claim("product", v)],
  ["hnap.firmware", (v, claim) => claim("firmware", v)],
  // A UPnP description's maker only when known: media-server software states its author.
  ["upnp.manufacturer", (v, claim) => claim("vendor", knownVendor(v))],
  ["upnp.model_name", (v, claim) => claim("product", v)],
  ["upnp.model_number", (v, claim) => claim("model", v)],
  ["upnp.firmware", (v, claim) => claim("firmware", v)],
  ["snmp.entity_maker", (v, claim) => claim("vendor", canonicalVendor(v))],
  ["snmp.entity_model", (v, claim) => claim("product", v)],
  ["snmp.entity_firmware", (v, claim) => claim("firmware", v)],
  ["snmp.entity_software", (v, claim) => claim("firmware", v)],
  ["snmp.entity_serial", (v, claim) => claim("serial", v)],
  ["snmp.sys_descr", systemDescription],
  ["lldp.system_description", systemDescription],
  ["cdp.platform", (v, claim) => makerProductVersion(v.replace(/^cisco\s+/i, "Cisco "), claim)],
  ["cdp.software_version", (v, claim) => claim("firmware", /version\s+([\w.()-]+)/i.exec(v)?.[1])],
  ["asset.vendor", (v, claim) => claim("vendor", canonicalVendor(v))],
  ["asset.product", (v, claim) => claim("product", v)],
  ["asset.model", (v, claim) => claim("model", v)],
  ["asset.firmware", (v, claim) => claim("firmware", v)],
  ["asset.serial", (v, claim) => claim("serial", v)],
  ["sip.user_agent", makerProductVersion],
  ["sip.server", makerProductVersion],
  ["mdns.txt", mdnsTxt],
  ["ssdp.server", productTokens],
  ["http.server", productTokens],
  ["rtsp.server", productTokens],
  ["tls.cert_subject", certificateSubject],
  ["dhcp.vendor_class", makerProductVersion],
];

const ORDER = new Map(READERS.map(([k], i) => [k, i]));

function clean(v: string | undefined): string | undefined {
  const t = v === undefined ? undefined : printable(v).trim();
  return t && t.length <= MAX_VALUE ? t : undefined;
}

/** The device's identity from its facts and its verdict. */
export function deviceIdentity(facts: readonly Fact[], verdict?: { vendor?: string | null; model?: string | null; firmware?: string | null }): DeviceIdentityView {
  const claims: IdentityClaim[] = [];
  const sorted = facts.filter((f) => ORDER.has(f.kind)).sort((a, b) => ORDER.get(a.kind)! - ORDER.get(b.kind)! || (b.lastUs ?? 0) - (a.lastUs ?? 0));
  const seen = new Set<string>();
  for (const f of sorted) {
    const read = READERS[ORDER.get(f.kind)!]![1];
    read(f.value, (field, value) => {
      const v = clean(value);
      if (!v) return;
      const key = `${field}\u0000${v}\u0000${f.kind}`;
      if (seen.has(key)) return;
      seen.add(key);
      claims.push({ field, value: v, from: f.kind, fact: f.value.slice(0, 512) });
    });
  }
  const fromVerdict: [IdentityField, string | null | undefined][] = [["vendor", verdict?.vendor], ["product", verdict?.model], ["firmware", verdict?.firmware]];
  for (const [field, value] of fromVerdict) {
    const v = clean(value ?? undefined);
    if (v) claims.push({ field, value: field === "vendor" ? canonicalVendor(v) : v, from: "verdict", fact: v });
  }
  const first = (field: IdentityField): string | undefined => claims.find((c) => c.field === field)?.value;
  return {
    vendor: first("vendor"),
    product: first("product"),
    models: [...new Set(claims.filter((c) => c.field === "model").map((c) => c.value))],
    firmware: first("firmware"),
    serial: first("serial"),
    claims,
  };
}
