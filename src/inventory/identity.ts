import type { ObservationKind } from "../model/observation.js";

/**
 * Whether a MAC is still the machine it was: many signals, each weighed by how much its change
 * says that another machine now uses the MAC. A signal changes when a device whose value of it
 * is settled (seen at least twice) shows a new one. The changes of the last hour combine as a
 * noisy-OR; past `IDENTITY_THRESHOLD` the device gets an `identity.change` fact naming the score
 * and every signal that changed, which detection raises as an alert (high on the strict tiers).
 *
 * A spoofer that copies a device's DHCP options still has its own TCP/IP stack (enough alone:
 * an embedded device has one), TLS library and user agent; an app update changes the last two
 * only (0.32, below the threshold); a device's own hardware identity (an OT serial number)
 * alone is enough. Behaviour (new peers and services) is the baseline detectors' to judge.
 */
export const IDENTITY_SIGNALS: ReadonlyMap<ObservationKind, number> = new Map<ObservationKind, number>([
  // An OT device's own identity, which firmware updates leave alone.
  ["s7.serial", 0.9], ["s7.order_number", 0.9], ["cip.serial", 0.9], ["cip.vendor_id", 0.9], ["cip.product_code", 0.8],
  ["modbus.vendor", 0.8], ["modbus.product_code", 0.8], ["bacnet.device_instance", 0.8], ["bacnet.vendor_id", 0.9],
  // A camera's or recorder's serial, as it answers discovery (its maker's, GigE Vision's) or states it to its recorder (ONVIF, ISAPI).
  ["sadp.serial", 0.9], ["dahua.serial", 0.9], ["gige.serial", 0.9], ["onvif.serial", 0.9], ["isapi.serial", 0.9],
  // The DHCP client: its option list and vendor class are fixed by the stack.
  ["dhcp.param_list", 0.6], ["dhcp.vendor_class", 0.6], ["dhcp.client_id", 0.5], ["dhcp.hostname", 0.3],
  // The TCP/IP stack (initial TTL and SYN option layout; the window size is left out, apps set it).
  ["tcp.syn_fingerprint", 0.5],
  // Names the device announces.
  ["mdns.hostname", 0.3], ["ssdp.server", 0.3], ["netbios.name", 0.3],
  // Libraries and apps, which updates change.
  ["tls.ja4", 0.2], ["http.user_agent", 0.15],
]);

export const IDENTITY_THRESHOLD = 0.5;
/** Sightings after which a value counts as settled. */
export const SETTLED_SIGHTINGS = 2;
const WINDOW_US = 3_600_000_000;
const SHOWN = 80;

/** The part of a value that a change is judged on. */
export function comparable(kind: ObservationKind, value: string): string {
  // "ttl 64 65535_2-4-8-1-3_1460_7": the TTL and the option kinds, not the window, MSS or scale.
  if (kind === "tcp.syn_fingerprint") {
    const m = /^(ttl \d+) \d+_([\d-]*)_/.exec(value);
    return m ? `${m[1]} ${m[2]}` : value;
  }
  return value;
}

interface Change { kind: ObservationKind; from: string; to: string; tsUs: number }

/** One device's recent signal changes. */
export class IdentityWatch {
  private readonly changes = new Map<ObservationKind, Change>();
  /** How many signals had changed when the last record was made (0: none made in this window). */
  private raisedWith = 0;

  /**
   * Records a change of one signal at `tsUs`; returns the `identity.change` value when the
   * last hour's changes pass the threshold, and again when a further signal joins them (so the
   * record names them all); a signal that changes again adds nothing.
   */
  change(kind: ObservationKind, from: string, to: string, tsUs: number): string | undefined {
    for (const [k, c] of this.changes) if (c.tsUs < tsUs - WINDOW_US) this.changes.delete(k);
    if (this.changes.size === 0) this.raisedWith = 0;
    const first = this.changes.get(kind);
    this.changes.set(kind, { kind, from: first?.from ?? from, to, tsUs });
    const score = 1 - [...this.changes.values()].reduce((p, c) => p * (1 - (IDENTITY_SIGNALS.get(c.kind) ?? 0)), 1);
    if (score < IDENTITY_THRESHOLD || this.changes.size <= this.raisedWith) return undefined;
    this.raisedWith = this.changes.size;
    const cut = (s: string): string => (s.length > SHOWN ? `${s.slice(0, SHOWN - 3)}...` : s);
    const signals = [...this.changes.values()].sort((a, b) => (IDENTITY_SIGNALS.get(b.kind) ?? 0) - (IDENTITY_SIGNALS.get(a.kind) ?? 0))
      .map((c) => `${c.kind}: ${cut(c.from)} -> ${cut(c.to)}`);
    return `score ${score.toFixed(2)}: ${signals.join("; ")}`;
  }
}

/** What the inventory needs of a device to judge a new value (`E`: the evidence it keeps with a fact). */
export interface Watched<E extends { tsUs: number }> {
  facts: Map<ObservationKind, Map<string, { value: string; count: number }>>;
  identity: IdentityWatch | undefined;
  addFact(kind: ObservationKind, value: string, ev: E): void;
}

/**
 * A new value of a signal on a device: when the device had a settled value of it that this one
 * differs from (as compared), it is a change; past the threshold the device gets the fact.
 */
export function checkIdentity<E extends { tsUs: number }>(d: Watched<E>, kind: ObservationKind, value: string, ev: E): void {
  const known = d.facts.get(kind);
  if (!known || known.has(value)) return;
  const now = comparable(kind, value);
  let settled: string | undefined;
  for (const f of known.values()) {
    if (comparable(kind, f.value) === now) return;
    if (f.count >= SETTLED_SIGHTINGS) settled ??= f.value;
  }
  if (settled === undefined) return;
  const raised = (d.identity ??= new IdentityWatch()).change(kind, settled, value, ev.tsUs);
  if (raised) d.addFact("identity.change", raised, ev);
}
