import { type AppDissector, packetAddress } from "./context.js";
import { headerLines } from "./http-headers.js";
import { HNAP_NS, dissectHnap } from "./hnap.js";
import { ISAPI_NS, dissectIsapiDeviceInfo } from "./hikvision-isapi.js";
import { ONVIF_DEVICE_NS, dissectOnvifDeviceInformation } from "./onvif-device.js";
import { MEROSS_SYSTEM_ALL, dissectMerossSystemAll } from "./meross.js";
import { UPNP_DEVICE_NS, dissectUpnpDescription } from "./upnp-description.js";

const METHODS = ["GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "PATCH ", "TRACE "];

function startsWithAscii(b: Buffer, off: number, len: number, s: string): boolean {
  if (len < s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[off + i] !== s.charCodeAt(i)) return false;
  return true;
}

function isRequest(b: Buffer, off: number, len: number): boolean {
  for (const m of METHODS) if (startsWithAscii(b, off, len, m)) return true;
  return false;
}

/** Exploit strings: Log4Shell JNDI lookups (and their obfuscations), shell command injection. */
const EXPLOITS: [RegExp, string][] = [
  [/\$\{[^}]{0,40}j[^}]{0,20}n[^}]{0,20}d[^}]{0,20}i[^}]{0,20}:|jndi:(ldaps?|rmi|dns|iiop|corba|nds|nis|http):/i, "JNDI lookup"],
  [/(;|\||`|\$\()\s*(wget|curl|tftp|busybox|chmod|\/bin\/sh|sh\s|bash\s|nc\s)/i, "shell command"],
  [/\.\.\/\.\.\/|%2e%2e%2f%2e%2e/i, "path traversal"],
];
const EXECUTABLE_TYPES = /application\/(x-msdownload|x-dosexec|x-executable|x-elf|vnd\.microsoft\.portable-executable|x-sharedlib|x-msdos-program|x-sh)/i;
const EXECUTABLE_NAME = /filename\*?=["']?[^"';]*\.(exe|dll|scr|msi|bat|ps1|elf|bin|sh|jar)["']?/i;
const WEB_PORTS = new Set([80, 443, 8080, 8000, 8008, 8081, 8443, 8888, 3128]);

/** How much of one segment is searched for a device description. */
const DESCRIPTION_SCAN = 16384;

/** Documents in which a device describes itself, by the namespace that marks each. */
const DESCRIPTIONS: readonly (readonly [string, (doc: string, ctx: Parameters<AppDissector["dissect"]>[3]) => boolean])[] = [
  [UPNP_DEVICE_NS, dissectUpnpDescription], [HNAP_NS, dissectHnap], [ONVIF_DEVICE_NS, dissectOnvifDeviceInformation], [ISAPI_NS, dissectIsapiDeviceInfo],
  [MEROSS_SYSTEM_ALL, dissectMerossSystemAll],
];

/**
 * A device's description of itself in the segment, if it carries one: a UPnP device
 * description, an HNAP device-settings answer, an ONVIF device-information answer, a
 * Hikvision ISAPI device info or a Meross system answer (found by their namespaces with a
 * native search, so other segments cost no string). A response's body often comes in the
 * segments after its headers, so this reads those too.
 */
function describes(b: Buffer, off: number, len: number, ctx: Parameters<AppDissector["dissect"]>[3]): boolean {
  const seg = b.subarray(off, off + Math.min(len, DESCRIPTION_SCAN));
  for (const [ns, read] of DESCRIPTIONS) if (seg.indexOf(ns, 0, "latin1") >= 0) return read(seg.toString("utf8"), ctx);
  return false;
}

/**
 * HTTP/1.x: the Host and User-Agent a client sends, the Server header a server answers, the
 * description a device serves of itself (UPnP, HNAP, ONVIF, Hikvision ISAPI, Meross); and
 * what makes a flow risky: Basic credentials in clear (the user only), exploit strings in the
 * request, a numeric Host on a non-standard port, an executable in a response.
 */
export const http: AppDissector = {
  name: "http",
  transport: "tcp",
  ports: [80, 8080, 8000, 8008, 8081, 8888, 591, 3128, 5985, 7547, 49152],
  test(b, off, len) {
    return isRequest(b, off, len) || startsWithAscii(b, off, len, "HTTP/1.");
  },
  dissect(b, off, len, ctx) {
    if (len === 0) return false;
    if (isRequest(b, off, len)) {
      const [, h] = headerLines(b, off, len);
      const host = h.get("HOST");
      if (host) ctx.emit("http.host", "src", host.toLowerCase());
      const ua = h.get("USER-AGENT");
      if (ua) ctx.emit("http.user_agent", "src", ua);
      const auth = h.get("AUTHORIZATION");
      if (auth && /^basic\s/i.test(auth)) {
        const user = Buffer.from(auth.slice(6).trim(), "base64").toString("latin1").split(":")[0].replace(/[^\x20-\x7e]/g, "").slice(0, 64);
        ctx.emit("http.basic_auth", "src", `user ${user || "?"} to ${host ?? packetAddress(ctx.pkt, "dst")}`);
      }
      const request = b.toString("latin1", off, off + Math.min(len, 4096));
      for (const [re, what] of EXPLOITS) {
        if (re.test(request)) {
          ctx.emit("http.exploit", "src", `${what} to ${packetAddress(ctx.pkt, "dst")}:${ctx.pkt.dstPort}`);
          break;
        }
      }
      if (host && /^\[?[\d.:a-f]+\]?(:\d+)?$/i.test(host) && /\d/.test(host) && !WEB_PORTS.has(ctx.pkt.dstPort)) {
        ctx.emit("http.numeric_host", "src", `${host.toLowerCase()} port ${ctx.pkt.dstPort}`);
      }
      return true;
    }
    if (startsWithAscii(b, off, len, "HTTP/1.")) {
      const [, h] = headerLines(b, off, len);
      const server = h.get("SERVER");
      if (server) ctx.emit("http.server", "src", server);
      const head = b.toString("latin1", off, off + Math.min(len, 4096));
      const bodyAt = head.indexOf("\r\n\r\n");
      const body = bodyAt >= 0 ? head.slice(bodyAt + 4, bodyAt + 6) : "";
      const type = h.get("CONTENT-TYPE") ?? "";
      const disposition = h.get("CONTENT-DISPOSITION") ?? "";
      if (EXECUTABLE_TYPES.test(type) || EXECUTABLE_NAME.test(disposition) || body === "MZ" || (bodyAt >= 0 && head.slice(bodyAt + 4, bodyAt + 8) === "\x7fELF")) {
        const name = /filename\*?=["']?([^"';]+)/i.exec(disposition)?.[1]?.slice(0, 80);
        ctx.emit("http.download", "dst", `executable${name ? ` ${name}` : ""} from ${packetAddress(ctx.pkt, "src")}:${ctx.pkt.srcPort}`);
      }
      describes(b, off, len, ctx);
      return true;
    }
    return describes(b, off, len, ctx);
  },
};
