import { macToString } from "../../net/addr.js";
import type { FlowRecord } from "../../model/flow-record.js";
import { ErrorCounts } from "../../net/error-counts.js";
import { type SetVisitor, ipfixSets, v9Sets } from "./sets.js";
import { type DecodedFlow, type OptionsValues, type Template, MAX_TEMPLATES_PER_DOMAIN, decodeDataSet, emptyFlow } from "./templates.js";
import { V5_HEADER, v5Header, v5Record } from "./v5.js";

export interface CollectorOptions {
  site: string;
  /** Over UDP a template not refreshed within this time is forgotten (RFC 7011 §8.4). */
  templateLifetimeMs: number;
  /** Data sets whose template has not arrived are held this long, then counted as lost. */
  pendingMs: number;
  /** Held data sets per exporter domain; more are counted as lost at once. */
  maxPendingSets: number;
  /** Exporter domains tracked at once; past it the least recently used domain goes (counted). */
  maxDomains: number;
  /** Domains of one exporter address; past it that exporter's least recently used domain goes. */
  maxDomainsPerExporter: number;
  /** A domain that sent nothing for this long is forgotten at the next `expire`. */
  domainIdleMs: number;
  /** Templates of all domains, in (estimated) bytes; past it the least recently used domains lose theirs. */
  maxTemplateBytes: number;
  /** Data sets held for their template, in bytes, all domains together; past it the oldest go. */
  maxPendingBytes: number;
  /** "tcp" or "sctp" honour IPFIX template withdrawals; over UDP they are ignored. */
  transport: "udp" | "tcp" | "sctp";
}

export const DEFAULT_COLLECTOR: CollectorOptions = {
  site: "default", templateLifetimeMs: 1_800_000, pendingMs: 10_000, maxPendingSets: 256, maxDomains: 4096, maxDomainsPerExporter: 256,
  domainIdleMs: 3_600_000, maxTemplateBytes: 64 << 20, maxPendingBytes: 16 << 20, transport: "udp",
};

/** What a template costs in memory, about: its object and array, and each field's object (measured: 32.7 KiB at 512 fields). */
export function templateBytes(t: Template): number {
  return 160 + t.fields.length * 64;
}

/** Counters of one exporter's domain: a v5 engine, a v9 source ID, an IPFIX observation domain. */
export interface DomainStats {
  exporter: string;
  version: number;
  domain: number;
  packets: number;
  bytes: number;
  records: number;
  /** From sequence numbers: flows (v5), export packets (v9) or data records (IPFIX) missed. */
  lost: number;
  /** Data records (or sets, when the record count is unknown) dropped for want of a template. */
  noTemplate: number;
  restarts: number;
  templates: number;
  samplingInterval: number;
  errors: Record<string, number>;
}

interface Pending {
  templateId: number;
  data: Buffer;
  receivedMs: number;
  time: TimeBase;
}

/** What turns a record's times into absolute ones: the header's clock and uptime. */
interface TimeBase {
  /** Export time in ms since the epoch. */
  exportMs: number;
  /** v5/v9: the exporter's uptime at export, in ms; -1 for IPFIX. */
  uptimeMs: number;
}

class Domain {
  readonly templates = new Map<number, Template>();
  pending: Pending[] = [];
  /** Estimated bytes of `templates`, and bytes of the data held in `pending`. */
  templateBytes = 0;
  pendingBytes = 0;
  /** When a datagram of this domain last came (its place in the collector's least-recently-used order moves at most once a second). */
  lastMs = 0;
  expected: number | undefined;
  /** IPFIX: the previous message's sequence number and record counts, and the exporter's counting convention. */
  lastSeq: number | undefined;
  lastData = 0;
  lastOptions = 0;
  convention: number | undefined;
  lastUptimeMs = -1;
  samplingInterval = 1;
  systemInitMs: number | undefined;
  readonly errors = new ErrorCounts();
  packets = 0;
  bytes = 0;
  records = 0;
  lost = 0;
  noTemplate = 0;
  restarts = 0;

  constructor(readonly exporter: string, readonly version: number, readonly domain: number) {}
}

/** What an options record says of its domain: the sampling interval, the exporter's boot time. */
function applyOptions(d: Domain, o: OptionsValues): void {
  if (o.samplingInterval !== undefined && o.samplingInterval >= 1) d.samplingInterval = o.samplingInterval;
  if (o.systemInitMs !== undefined) d.systemInitMs = o.systemInitMs;
}

const U32 = 4294967296;
/** A sequence number this far behind the expected one is a restart, not reordering. */
const RESTART_GAP = 1_000_000;

/**
 * The NetFlow v5/v9 and IPFIX collector: datagrams in, flow records out. Templates, held data,
 * sequence numbers and sampling are kept per exporter and domain. Never throws on input:
 * every defect is counted by kind on its exporter's domain (or on `errors` when the datagram
 * names no domain).
 */
export class NetflowCollector {
  /** By key, least recently used first. */
  private readonly domains = new Map<string, Domain>();
  private readonly perExporter = new Map<string, number>();
  private templateBytes = 0;
  private pendingBytes = 0;
  /** Datagrams that could not be tied to a domain: garbage, unknown versions, floods of new domains. */
  readonly errors = new ErrorCounts();
  private readonly flow: DecodedFlow = emptyFlow();
  private readonly o: CollectorOptions;

  constructor(private readonly sink: (r: FlowRecord) => void, o: Partial<CollectorOptions> = {}) {
    this.o = { ...DEFAULT_COLLECTOR, ...o };
  }

  /** One export datagram (or, over TCP/SCTP, one message) from `exporter` (its address). */
  receive(b: Buffer, exporter: string, nowMs: number): void {
    if (b.length < 4) {
      this.errors.add("datagram.truncated", exporter);
      return;
    }
    const version = b.readUInt16BE(0);
    if (version === 5) this.v5(b, exporter, nowMs);
    else if (version === 9) this.v9(b, exporter, nowMs);
    else if (version === 10) this.ipfix(b, exporter, nowMs);
    else this.errors.add("datagram.unknown-version", `${exporter}: version ${version}`);
  }

  /** What the collector holds: domains, and the estimated bytes of templates and held data (for the budgets' tests and metrics). */
  held(): { domains: number; templateBytes: number; pendingBytes: number } {
    return { domains: this.domains.size, templateBytes: this.templateBytes, pendingBytes: this.pendingBytes };
  }

  /** Drops held data past its time, idle domains and, over UDP, templates past their lifetime. Serve calls it every second. */
  expire(nowMs: number): void {
    for (const [key, d] of this.domains) {
      if (nowMs - d.lastMs > this.o.domainIdleMs) {
        this.forget(key, d);
        this.errors.add("domain.idle-expired", d.exporter);
        continue;
      }
      this.expirePending(d, nowMs);
      if (this.o.transport === "udp") {
        for (const [id, t] of d.templates) if (nowMs - t.receivedMs > this.o.templateLifetimeMs) this.dropTemplate(d, id);
      }
    }
  }

  /**
   * The exporter's transport session (TCP) ended: its templates were valid for that session
   * only (RFC 7011 §8), and data held for a template can no longer get one.
   */
  endSession(exporter: string): void {
    for (const d of this.domains.values()) {
      if (d.exporter !== exporter) continue;
      this.clearTemplates(d);
      if (d.pending.length > 0) {
        d.noTemplate += d.pending.length;
        d.errors.add("data.no-template", undefined, d.pending.length);
        this.setPending(d, []);
      }
      // A new session numbers its messages afresh.
      d.expected = undefined;
      d.lastSeq = undefined;
    }
  }

  stats(): DomainStats[] {
    return [...this.domains.values()].map((d) => ({
      exporter: d.exporter, version: d.version, domain: d.domain, packets: d.packets, bytes: d.bytes, records: d.records,
      lost: d.lost, noTemplate: d.noTemplate, restarts: d.restarts, templates: d.templates.size,
      samplingInterval: d.samplingInterval, errors: d.errors.toJSON(),
    }));
  }

  /**
   * The domain a datagram belongs to, made when new. Past the budgets the least recently used
   * domain goes (that exporter's own, past its share), counted: a flood of new domains pushes
   * out idle ones and never locks real exporters out.
   */
  private domain(exporter: string, version: number, id: number, nowMs: number): Domain {
    const key = `${exporter}|${version}|${id}`;
    let d = this.domains.get(key);
    if (d) {
      if (nowMs - d.lastMs >= 1000) {
        this.domains.delete(key);
        this.domains.set(key, d);
        d.lastMs = nowMs;
      }
      return d;
    }
    if ((this.perExporter.get(exporter) ?? 0) >= this.o.maxDomainsPerExporter) {
      for (const [k, old] of this.domains) {
        if (old.exporter !== exporter) continue;
        this.forget(k, old);
        this.errors.add("domain.evicted", exporter);
        break;
      }
    }
    if (this.domains.size >= this.o.maxDomains) {
      const [k, old] = this.domains.entries().next().value as [string, Domain];
      this.forget(k, old);
      this.errors.add("domain.evicted", old.exporter);
    }
    d = new Domain(exporter, version, id);
    d.lastMs = nowMs;
    this.domains.set(key, d);
    this.perExporter.set(exporter, (this.perExporter.get(exporter) ?? 0) + 1);
    return d;
  }

  /** Counts a gap or a restart from a sequence number; `next` is what the following one should be. */
  private sequence(d: Domain, seq: number, next: number): void {
    if (d.expected !== undefined && seq !== d.expected) {
      const ahead = (seq - d.expected + U32) % U32;
      if (ahead < U32 / 2) d.lost += ahead;
      else if (U32 - ahead > RESTART_GAP) d.restarts++;
      else d.errors.add("sequence.reordered");
    }
    d.expected = next % U32;
  }

  private emit(d: Domain, f: DecodedFlow, time: TimeBase): void {
    if (f.srcIp === "" || f.dstIp === "") {
      d.errors.add("record.no-address");
      return;
    }
    let firstUs: number;
    let lastUs: number;
    if (f.startUs >= 0) {
      firstUs = f.startUs;
      lastUs = f.endUs >= 0 ? f.endUs : f.startUs;
    } else if (f.startUptimeMs >= 0 && time.uptimeMs >= 0) {
      // Uptimes are 32-bit milliseconds that wrap after 49.7 days: the difference is signed.
      firstUs = (time.exportMs - ((time.uptimeMs - f.startUptimeMs) | 0)) * 1000;
      lastUs = (time.exportMs - ((time.uptimeMs - (f.endUptimeMs >= 0 ? f.endUptimeMs : f.startUptimeMs)) | 0)) * 1000;
    } else if (f.startUptimeMs >= 0 && d.systemInitMs !== undefined) {
      firstUs = (d.systemInitMs + f.startUptimeMs) * 1000;
      lastUs = (d.systemInitMs + (f.endUptimeMs >= 0 ? f.endUptimeMs : f.startUptimeMs)) * 1000;
    } else if (f.startDeltaUs >= 0) {
      firstUs = time.exportMs * 1000 - f.startDeltaUs;
      lastUs = time.exportMs * 1000 - (f.endDeltaUs >= 0 ? f.endDeltaUs : f.startDeltaUs);
    } else {
      if (f.startUptimeMs >= 0) d.errors.add("time.no-system-init");
      firstUs = lastUs = time.exportMs * 1000;
    }
    const sampling = f.samplingInterval > 0 ? f.samplingInterval : d.samplingInterval;
    d.records++;
    this.sink({
      site: this.o.site,
      source: `netflow:${d.exporter}`,
      vlan: f.vlan,
      proto: f.proto,
      srcMac: f.srcMac >= 0 ? macToString(f.srcMac) : undefined,
      srcIp: f.srcIp,
      srcPort: f.srcPort,
      dstMac: f.dstMac >= 0 ? macToString(f.dstMac) : undefined,
      dstIp: f.dstIp,
      dstPort: f.dstPort,
      initiatorKnown: false,
      packetsSrcToDst: f.packets * sampling,
      bytesSrcToDst: f.bytes * sampling,
      packetsDstToSrc: 0,
      bytesDstToSrc: 0,
      firstUs,
      lastUs,
      tcpFlagsSrc: f.tcpFlags,
      tcpFlagsDst: 0,
      endReason: "exported",
    });
  }

  private v5(b: Buffer, exporter: string, nowMs: number): void {
    const h = v5Header(b);
    const engine = b.length >= V5_HEADER ? (b[20] << 8) | b[21] : 0;
    const d = this.domain(exporter, 5, engine, nowMs);
    d.packets++;
    d.bytes += b.length;
    if (typeof h === "string") {
      d.errors.add(h);
      return;
    }
    this.restartByUptime(d, h.sysUptimeMs);
    this.sequence(d, h.sequence, h.sequence + h.count);
    d.samplingInterval = h.samplingInterval;
    const time = { exportMs: h.unixMs, uptimeMs: h.sysUptimeMs };
    for (let i = 0; i < h.count; i++) {
      v5Record(b, i, this.flow);
      this.emit(d, this.flow, time);
    }
    this.expirePending(d, nowMs);
  }

  /**
   * IPFIX loss from sequence numbers. RFC 7011 counts the data records (options records
   * included) sent before this message; some exporters (softflowd among them) count those
   * sent up to and including it, or leave options records out. Whichever of the four readings
   * first explains the step between two messages is kept for the domain, so an exporter's own
   * convention is not mistaken for loss.
   */
  private ipfixSequence(d: Domain, seq: number, data: number, options: number): void {
    if (d.lastSeq !== undefined) {
      const step = (seq - d.lastSeq + U32) % U32;
      const readings = [d.lastData + d.lastOptions, d.lastData, data + options, data];
      const match = readings.indexOf(step);
      if (match >= 0) {
        d.convention ??= match;
      } else {
        const gap = step - readings[d.convention ?? 0];
        if (gap > 0 && step < U32 / 2) d.lost += gap;
        else if (U32 - step > RESTART_GAP) d.restarts++;
        else d.errors.add("sequence.reordered");
      }
    }
    d.lastSeq = seq;
    d.lastData = data;
    d.lastOptions = options;
  }

  /** An exporter whose uptime went backwards has restarted: its old templates mean nothing now. */
  private restartByUptime(d: Domain, uptimeMs: number): void {
    if (d.lastUptimeMs >= 0 && uptimeMs < d.lastUptimeMs && d.lastUptimeMs - uptimeMs > 60_000) {
      d.restarts++;
      d.expected = undefined;
      this.clearTemplates(d);
    }
    d.lastUptimeMs = uptimeMs;
  }

  private v9(b: Buffer, exporter: string, nowMs: number): void {
    if (b.length < 20) {
      this.errors.add("v9.truncated-header", exporter);
      return;
    }
    const d = this.domain(exporter, 9, b.readUInt32BE(16), nowMs);
    d.packets++;
    d.bytes += b.length;
    const uptimeMs = b.readUInt32BE(4);
    const time = { exportMs: b.readUInt32BE(8) * 1000, uptimeMs };
    this.restartByUptime(d, uptimeMs);
    const seq = b.readUInt32BE(12);
    this.sequence(d, seq, seq + 1);
    v9Sets(b, 20, b.length, nowMs, this.visitor(d, b, time, nowMs, false));
    this.expirePending(d, nowMs);
  }

  private ipfix(b: Buffer, exporter: string, nowMs: number): void {
    if (b.length < 16) {
      this.errors.add("ipfix.truncated-header", exporter);
      return;
    }
    const d = this.domain(exporter, 10, b.readUInt32BE(12), nowMs);
    d.packets++;
    d.bytes += b.length;
    const length = b.readUInt16BE(2);
    if (length < 16 || length > b.length) {
      d.errors.add("ipfix.bad-length");
      return;
    }
    const time = { exportMs: b.readUInt32BE(4) * 1000, uptimeMs: -1 };
    const before = d.records;
    const v = this.visitor(d, b, time, nowMs, true);
    ipfixSets(b, 16, length, nowMs, v);
    this.ipfixSequence(d, b.readUInt32BE(8), d.records - before, v.optionRecords());
    // Held sets have an unknown number of records: the next message sets the count afresh.
    if (v.held() > 0) d.lastSeq = undefined;
    this.expirePending(d, nowMs);
  }

  private visitor(d: Domain, b: Buffer, time: TimeBase, nowMs: number, ipfix: boolean): SetVisitor & { optionRecords(): number; held(): number } {
    let optionRecords = 0;
    let held = 0;
    const onOptions = (o: OptionsValues): void => {
      optionRecords++;
      applyOptions(d, o);
    };
    return {
      template: (t) => {
        if (!d.templates.has(t.id) && d.templates.size >= MAX_TEMPLATES_PER_DOMAIN) {
          d.errors.add("template.too-many");
          return;
        }
        this.addTemplate(d, t);
        this.release(d, t, nowMs);
      },
      withdraw: (id) => {
        if (this.o.transport === "udp") {
          d.errors.add("template.withdrawal-over-udp");
          return;
        }
        if (id === "all-data" || id === "all-options") {
          for (const [k, t] of d.templates) if (t.options === (id === "all-options")) this.dropTemplate(d, k);
        } else {
          this.dropTemplate(d, id);
        }
      },
      data: (templateId, start, end) => {
        const t = d.templates.get(templateId);
        if (t) {
          const n = decodeDataSet(b, start, end, t, this.flow, (f) => this.emit(d, f, time), onOptions);
          if (n < 0) d.errors.add("data.truncated-record");
          return;
        }
        held++;
        if (d.pending.length >= this.o.maxPendingSets) {
          d.noTemplate++;
          d.errors.add("data.no-template");
          return;
        }
        this.hold(d, { templateId, data: Buffer.from(b.subarray(start, end)), receivedMs: nowMs, time });
      },
      error: (kind) => d.errors.add(kind),
      optionRecords: () => (ipfix ? optionRecords : 0),
      held: () => held,
    };
  }

  /** Decodes held data sets that were waiting for this template. */
  private release(d: Domain, t: Template, nowMs: number): void {
    if (d.pending.length === 0) return;
    const keep: Pending[] = [];
    for (const p of d.pending) {
      if (p.templateId !== t.id || nowMs - p.receivedMs > this.o.pendingMs) {
        keep.push(p);
        continue;
      }
      const n = decodeDataSet(p.data, 0, p.data.length, t, this.flow, (f) => this.emit(d, f, p.time), (o) => applyOptions(d, o));
      if (n < 0) d.errors.add("data.truncated-record");
    }
    this.setPending(d, keep);
  }

  private expirePending(d: Domain, nowMs: number): void {
    if (d.pending.length === 0) return;
    const keep = d.pending.filter((p) => nowMs - p.receivedMs <= this.o.pendingMs);
    const dropped = d.pending.length - keep.length;
    if (dropped > 0) {
      d.noTemplate += dropped;
      d.errors.add("data.no-template", undefined, dropped);
    }
    this.setPending(d, keep);
  }

  // --- Budgets: every change to a domain's templates or held data goes through these. ---

  private addTemplate(d: Domain, t: Template): void {
    const old = d.templates.get(t.id);
    if (old) this.dropTemplate(d, t.id);
    const cost = templateBytes(t);
    // Past the budget, the least recently used domains (this one last) give up their templates.
    for (const [, other] of this.domains) {
      if (this.templateBytes + cost <= this.o.maxTemplateBytes) break;
      if (other === d || other.templates.size === 0) continue;
      this.errors.add("template.evicted", other.exporter, other.templates.size);
      this.clearTemplates(other);
    }
    if (this.templateBytes + cost > this.o.maxTemplateBytes) {
      this.errors.add("template.evicted", d.exporter, d.templates.size);
      this.clearTemplates(d);
    }
    d.templates.set(t.id, t);
    d.templateBytes += cost;
    this.templateBytes += cost;
  }

  private dropTemplate(d: Domain, id: number): void {
    const t = d.templates.get(id);
    if (!t) return;
    d.templates.delete(id);
    const cost = templateBytes(t);
    d.templateBytes -= cost;
    this.templateBytes -= cost;
  }

  private clearTemplates(d: Domain): void {
    d.templates.clear();
    this.templateBytes -= d.templateBytes;
    d.templateBytes = 0;
  }

  /** Holds a data set for its template; past the byte budget the oldest held sets of the least recently used domains go first. */
  private hold(d: Domain, p: Pending): void {
    for (const [, other] of this.domains) {
      if (this.pendingBytes + p.data.length <= this.o.maxPendingBytes) break;
      while (other.pending.length > 0 && this.pendingBytes + p.data.length > this.o.maxPendingBytes) {
        const gone = other.pending.shift()!;
        other.pendingBytes -= gone.data.length;
        this.pendingBytes -= gone.data.length;
        other.noTemplate++;
        other.errors.add("data.no-template");
        this.errors.add("data.held-evicted", other.exporter);
      }
    }
    if (this.pendingBytes + p.data.length > this.o.maxPendingBytes) {
      d.noTemplate++;
      d.errors.add("data.no-template");
      return;
    }
    d.pending.push(p);
    d.pendingBytes += p.data.length;
    this.pendingBytes += p.data.length;
  }

  private setPending(d: Domain, list: Pending[]): void {
    const bytes = list.reduce((a, p) => a + p.data.length, 0);
    this.pendingBytes += bytes - d.pendingBytes;
    d.pendingBytes = bytes;
    d.pending = list;
  }

  /** A domain leaves: its templates and held data with it. */
  private forget(key: string, d: Domain): void {
    this.clearTemplates(d);
    this.setPending(d, []);
    this.domains.delete(key);
    const n = (this.perExporter.get(d.exporter) ?? 1) - 1;
    if (n <= 0) this.perExporter.delete(d.exporter);
    else this.perExporter.set(d.exporter, n);
  }
}
