import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { createPipeline } from "../src/pipeline.js";
import { readCapture } from "../src/sources/capture.js";
import { HAVE_CORPUS, NO_CORPUS, corpus } from "./helpers.js";
import { NDPI_SERVICES, endpoint, flowsOf, ndpiProtocol, parseNdpiResult } from "./ndpi-results.js";

const DIR = "ntop-nDPI-tests/tests/cfgs/default";

/**
 * nDPI writes a flag 'd' for every ClientHello, even one without the SNI extension (the
 * emotet capture's TLS to bare IPs, for one); the JA4 specification says 'i' then, and Cordon
 * follows the specification. The flag (4th character) is therefore compared separately.
 */
function withoutSniFlag(ja4: string): string {
  return `${ja4.slice(0, 3)}_${ja4.slice(4)}`;
}

describe("JA4 client fingerprints equal nDPI's", { skip: NO_CORPUS }, () => {
  const results = HAVE_CORPUS ? readdirSync(corpus(`${DIR}/result`)).filter((f) => f.endsWith(".out")) : [];
  const cases = results.map((out) => ({
    out,
    pcap: corpus(`${DIR}/pcap/${out.replace(/\.out$/, "")}`),
    expected: new Set([...readFileSync(corpus(`${DIR}/result/${out}`), "utf8").matchAll(/\[JA4: (t[^\]]+)\]/g)].map((m) => m[1])),
  })).filter((c) => c.expected.size > 0 && existsSync(c.pcap));

  it("finds captures with JA4 results", () => {
    assert.ok(cases.length >= 3, `${cases.length} nDPI results carry TCP JA4 values`);
  });

  for (const c of cases) {
    it(c.out, async () => {
      const p = createPipeline({ flows: () => undefined });
      p.beginSource(c.pcap, "default");
      await readCapture(c.pcap, p.push);
      p.flush();
      const got = new Set<string>();
      for (const d of p.inventory.devices.values()) for (const v of d.factValues("tls.ja4")) got.add(v);
      assert.deepEqual([...got].map(withoutSniFlag).sort(), [...c.expected].map(withoutSniFlag).sort());
    });
  }
});

/**
 * Flows where Cordon and nDPI are known to differ, with the reason: "capture|transport a <-> b"
 * as nDPI prints the flow. None at present.
 */
const KNOWN_DISAGREEMENTS: Record<string, string> = {};

describe("flows nDPI identified by payload: Cordon names the same protocol and service", { skip: NO_CORPUS }, () => {
  const results = HAVE_CORPUS ? readdirSync(corpus(`${DIR}/result`)).filter((f) => f.endsWith(".out")) : [];
  /** Per nDPI label: flows compared and flows agreed, over every capture. */
  const perLabel = new Map<string, { compared: number; agreed: number }>();
  /** Flows named right from the start, read again from their first answer on. */
  const replyFirst = { compared: 0, agreed: 0, misses: [] as string[] };
  for (const out of results) {
    const pcap = corpus(`${DIR}/pcap/${out.replace(/\.out$/, "")}`);
    if (!existsSync(pcap)) continue;
    it(out, async () => {
      const mine = await flowsOf(pcap, false);
      const fromReply = await flowsOf(pcap, true);
      const unexplained: string[] = [];
      for (const n of parseNdpiResult(corpus(`${DIR}/result/${out}`))) {
        if (n.confidence !== "DPI") continue;
        const wantProtocol = ndpiProtocol(n.protocol);
        const wantService = NDPI_SERVICES[n.protocol.split(".")[1] ?? ""];
        const key = `${n.transport} ${[endpoint(n.a), endpoint(n.b)].sort().join(" ")}`;
        const got = mine.get(key);
        const agreed = got !== undefined && got.appProtocol === wantProtocol && (wantService === undefined || got.appService === wantService);
        const tally = perLabel.get(n.protocol) ?? { compared: 0, agreed: 0 };
        tally.compared++;
        if (agreed) tally.agreed++;
        perLabel.set(n.protocol, tally);
        if (!agreed && !KNOWN_DISAGREEMENTS[`${out}|${n.transport} ${n.a} <-> ${n.b}`]) {
          unexplained.push(`${n.protocol} vs ${got ? `${got.appProtocol ?? "-"}${got.appService ? `.${got.appService}` : ""}` : "(no flow)"}: ${n.transport} ${n.a} ${n.b}`);
        }
        // The same flow seen from its first answer on, when there was one.
        const late = fromReply.get(key);
        if (late !== undefined && late.packetsSrcToDst + late.packetsDstToSrc > 0 && wantProtocol !== undefined && got?.appProtocol === wantProtocol) {
          replyFirst.compared++;
          if (late.appProtocol === wantProtocol) replyFirst.agreed++;
          else replyFirst.misses.push(`${out}: ${n.protocol} as ${late.appProtocol ?? "-"} from the reply on: ${n.transport} ${n.a} ${n.b}`);
        }
      }
      assert.deepEqual(unexplained, [], "every disagreement has a listed reason");
    });
  }

  it("agrees on at least 95% of them, reported per protocol", (t) => {
    let compared = 0;
    let agreed = 0;
    for (const [label, n] of [...perLabel].sort((x, y) => y[1].compared - x[1].compared)) {
      compared += n.compared;
      agreed += n.agreed;
      t.diagnostic(`${label}: ${n.agreed}/${n.compared}`);
    }
    t.diagnostic(`all: ${agreed}/${compared} flows, ${[...perLabel.values()].filter((n) => n.agreed === n.compared).length}/${perLabel.size} labels wholly`);
    assert.ok(compared >= 900, `${compared} flows identified by payload in nDPI's results`);
    assert.ok(agreed / compared >= 0.95, `${agreed}/${compared} flows agree`);
  });

  it("names them as well when the capture starts with the answer", (t) => {
    t.diagnostic(`from the reply on: ${replyFirst.agreed}/${replyFirst.compared}`);
    for (const m of replyFirst.misses) t.diagnostic(m);
    assert.ok(replyFirst.compared >= 100, `${replyFirst.compared} flows had an answer`);
    assert.ok(replyFirst.agreed / replyFirst.compared >= 0.95, `${replyFirst.agreed}/${replyFirst.compared} flows named from the reply on`);
  });
});

describe("HART-IP answered from another port than 5094", { skip: NO_CORPUS }, () => {
  // The server answers a session opened to 5094 from 5095; tshark names both conversations HART_IP.
  const pcap = corpus("EmreEkin-ICS-Pcaps/HART_IP/hart_ip.pcap");
  it("is named in full and from the reply on", { skip: !existsSync(pcap) && "EmreEkin-ICS-Pcaps/HART_IP/hart_ip.pcap is absent" }, async () => {
    for (const replyFirst of [false, true]) {
      const hart = [...(await flowsOf(pcap, replyFirst)).values()].filter((f) => [5094, 5095].includes(f.srcPort) || [5094, 5095].includes(f.dstPort));
      assert.ok(hart.length >= (replyFirst ? 1 : 2), `${hart.length} conversations with 5094 or 5095`);
      assert.deepEqual(hart.map((f) => f.appProtocol), hart.map(() => "hart-ip"), replyFirst ? "from the reply on" : "in full");
    }
  });
});
