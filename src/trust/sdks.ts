/**
 * Software components that many makers build into their devices, recognised by the banner the
 * device serves (HTTP, RTSP, SSDP and SIP `Server` headers). One web server or UPnP stack
 * inside three brands of camera is one inherited flaw: the trust graph links every device
 * that runs it to one `sdk` node, and advisories naming the component reach all of them.
 * `maker` and `product` are the names advisories (CVE, CSAF) use for the component.
 */
export interface SdkSignature {
  id: string;
  maker: string;
  product: string;
  /** Matches the banner; group 1, when present, is the version. */
  pattern: RegExp;
}

export const SDKS: readonly SdkSignature[] = [
  { id: "goahead", maker: "Embedthis", product: "GoAhead", pattern: /\bGoAhead-(?:Webs|http)(?:\/(\d[\w.]*))?/i },
  { id: "appweb", maker: "Embedthis", product: "Appweb", pattern: /\b(?:Embedthis-)?Appweb(?:\/(\d[\w.]*))?/i },
  { id: "boa", maker: "Boa", product: "Boa", pattern: /\bBoa\/(\d[\w.]*)/i },
  { id: "lighttpd", maker: "lighttpd", product: "lighttpd", pattern: /\blighttpd(?:\/(\d[\w.]*))?/i },
  { id: "mini_httpd", maker: "ACME Laboratories", product: "mini_httpd", pattern: /\bmini_httpd(?:\/(\d[\w.]*))?/i },
  { id: "thttpd", maker: "ACME Laboratories", product: "thttpd", pattern: /\bthttpd(?:\/(\d[\w.]*))?/i },
  { id: "rompager", maker: "Allegro Software", product: "RomPager", pattern: /\b(?:Allegro-Software-)?RomPager(?:\/(\d[\w.]*))?/i },
  { id: "uc-httpd", maker: "Xiongmai", product: "uc-httpd", pattern: /\buc-httpd(?:[ /](\d[\w.]*))?/i },
  { id: "mongoose", maker: "Cesanta", product: "Mongoose", pattern: /\bMongoose(?:\/(\d[\w.]*))?/i },
  { id: "libupnp", maker: "libupnp", product: "libupnp", pattern: /\bPortable SDK for UPnP devices(?:\/(\d[\w.]*))?/i },
  { id: "miniupnpd", maker: "MiniUPnP", product: "MiniUPnPd", pattern: /\bMiniUPnPd(?:\/(\d[\w.]*))?/i },
  { id: "virata-emweb", maker: "Virata", product: "EmWeb", pattern: /\bVirata-EmWeb(?:\/R?(\d[\w.]*))?/i },
];

/** Fact kinds whose values are served banners. */
export const BANNER_KINDS: ReadonlySet<string> = new Set(["http.server", "rtsp.server", "ssdp.server", "sip.server"]);

/** The components a banner names, with their version when it gives one. */
export function sdksIn(banner: string): { sdk: SdkSignature; version?: string }[] {
  const out: { sdk: SdkSignature; version?: string }[] = [];
  for (const sdk of SDKS) {
    const m = sdk.pattern.exec(banner);
    if (!m) continue;
    out.push(m[1] ? { sdk, version: m[1] } : { sdk });
  }
  return out;
}
