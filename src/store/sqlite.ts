import { chmodSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import { macToString, parseMac } from "../net/addr.js";
import type { Device } from "../inventory/device.js";
import { type Inventory, type StoredAddress, type StoredDevice, type StoredFact, endpointsBehind, ownAddresses } from "../inventory/inventory.js";
import type { FlowGroup, FlowRecord } from "../model/flow-record.js";
import { FLOWS_PER_CHUNK, FlowChunkError, decodeFlowChunk, encodeFlowChunk, flowSpan } from "./flow-chunk.js";
import type { Alert } from "../model/alert.js";
import type { PolicyStatus } from "../model/policy-status.js";
import { MIGRATIONS } from "./migrations.js";

export type { StoredAddress, StoredFact };

export type { StoredDevice } from "../inventory/inventory.js";

export interface SourceSummary {
  name: string;
  site: string;
  kind: string;
  format?: string;
  firstUs?: number;
  lastUs?: number;
  packets: number;
  bytes: number;
  flows: number;
  errors: Record<string, number>;
  fatal?: string;
  /** A capture file read to its end: its content fingerprint (`sources/fingerprint.ts`) and when. */
  contentHash?: string;
  readAt?: string;
}

/** A device row as `eachDevice` reads it, in its column order. */
type DeviceTuple = [id: number, site: string, key: string, mac: string | null, ouiVendor: string | null, localMac: number, router: number,
  firstUs: number, lastUs: number, packetsOut: number, packetsIn: number, bytesOut: number, bytesIn: number];

export type StoredFlow = FlowRecord & { id: number };

export interface StoredVerdict {
  id: number;
  category: string;
  vendor?: string;
  model?: string;
  firmware?: string;
  confidence: number;
  evidence: unknown[];
  /** Record time at which the verdict was reached. */
  decidedUs: number;
}

/** A person's decision about a device, which the classifier's verdict does not change. */
export interface StoredOverride {
  category?: string;
  criticality?: string;
  reason?: string;
  setBy: string;
  /** Wall-clock time of the decision (ISO 8601): when a person acted, not record time. */
  setAt: string;
}

interface VerdictRow {
  id: number; device_id: number; category: string; vendor: string | null; model: string | null; firmware: string | null;
  confidence: number; evidence: string; decided_us: number;
}

function verdictOf(r: VerdictRow): StoredVerdict {
  return {
    id: r.id, category: r.category, vendor: r.vendor ?? undefined, model: r.model ?? undefined, firmware: r.firmware ?? undefined,
    confidence: r.confidence, evidence: JSON.parse(r.evidence) as unknown[], decidedUs: r.decided_us,
  };
}

/** A stored policy version: its body is the policy file JSON; events say who moved it when. */
export interface StoredPolicy {
  id: number;
  name: string;
  site: string;
  version: number;
  status: PolicyStatus;
  body: string;
  events: { action: string; actor: string; at: string; note?: string }[];
}

/** A stored alert: the detector's record plus its device, status history and who moved it. */
export interface StoredAlert extends Omit<Alert, "sourceMac"> {
  device?: string;
  statusBy?: string;
  statusAt?: string;
  statusNote?: string;
}

interface AlertRow {
  id: string; site: string; detector: string; class: string; severity: string; technique: string; device_mac: string | null; device_key: string | null;
  source: string | null; target: string | null; title: string; first_us: number; last_us: number; count: number; evidence: string; status: string;
  status_by: string | null; status_at: string | null; status_note: string | null;
}

/** A rule that silences alerts: any of device, detector and peer that is set must match; until it expires. */
/** A maintenance window a person declared: a site's, or one device's in it. */
export interface StoredMaintenanceWindow {
  id: number;
  site: string;
  target?: string;
  startsAt: string;
  endsAt: string;
  reason: string;
  createdBy: string;
  createdAt: string;
}

export interface Suppression {
  id: number;
  device?: string;
  detector?: string;
  peer?: string;
  reason: string;
  expiresAt?: string;
  createdBy: string;
  createdAt: string;
}

interface PolicyRow { id: number; name: string; site: string; version: number; status: string; body: string }

/** Devices read per query by `eachDevice` (SQLite allows 32,766 parameters). */
const DEVICE_PAGE = 1000;

/** The only module that speaks SQL: SQLite through better-sqlite3, WAL, versioned schema. */
export class Store {
  readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    // The database holds payload-derived facts, credentials seen in clear and the audit log:
    // its owner only. SQLite gives the -wal and -shm files the database file's mode.
    if (path !== ":memory:" && path !== "") {
      for (const f of [path, `${path}-wal`, `${path}-shm`]) {
        try {
          if ((statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        }
      }
    }
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    this.migrate();
  }

  private migrate(): void {
    const version = this.db.pragma("user_version", { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new Error(`database schema version ${version} is newer than this Cordon (${MIGRATIONS.length})`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        const m = MIGRATIONS[v];
        if (typeof m === "string") this.db.exec(m);
        else m(this.db);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  close(): void {
    this.db.close();
  }

  saveSource(s: SourceSummary): void {
    this.db.prepare(`INSERT INTO sources (name, site, kind, format, first_us, last_us, packets, bytes, flows, errors, fatal, content_hash, read_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      s.name, s.site, s.kind, s.format ?? null, s.firstUs ?? null, s.lastUs ?? null,
      s.packets, s.bytes, s.flows, JSON.stringify(s.errors), s.fatal ?? null, s.contentHash ?? null, s.readAt ?? null,
    );
  }

  /** The capture with this content that a run already read to its end at the site, if any. */
  sourceWithContent(site: string, contentHash: string): { name: string; readAt: string | null } | undefined {
    return this.db.prepare(`SELECT name, read_at AS readAt FROM sources WHERE site = ? AND content_hash = ? ORDER BY id LIMIT 1`)
      .get(site, contentHash) as { name: string; readAt: string | null } | undefined;
  }

  /** Where a followed log file was read to (file, inode, byte offset), by source. */
  readPositions(source: string): Map<string, { inode: number; offset: number }> {
    const rows = this.db.prepare(`SELECT path, inode, offset FROM read_positions WHERE source = ?`).all(source) as { path: string; inode: number; offset: number }[];
    return new Map(rows.map((r) => [r.path, { inode: r.inode, offset: r.offset }]));
  }

  saveReadPositions(source: string, positions: readonly { path: string; inode: number; offset: number }[]): void {
    const upsert = this.db.prepare(`INSERT INTO read_positions (source, path, inode, offset) VALUES (?, ?, ?, ?)
      ON CONFLICT (source, path) DO UPDATE SET inode = excluded.inode, offset = excluded.offset`);
    this.db.transaction(() => {
      for (const p of positions) upsert.run(source, p.path, p.inode, p.offset);
    })();
  }

  /**
   * Writes finished flows in one transaction, as chunks of one site each (store/flow-chunk.ts),
   * numbered on from the last stored flow.
   */
  saveFlows(batch: readonly FlowRecord[]): void {
    if (batch.length === 0) return;
    const bySite = new Map<string, FlowRecord[]>();
    for (const f of batch) {
      const list = bySite.get(f.site);
      if (list) list.push(f);
      else bySite.set(f.site, [f]);
    }
    this.db.transaction(() => {
      const last = this.db.prepare(`SELECT first_id + count FROM flow_chunks ORDER BY id DESC LIMIT 1`).pluck().get() as number | undefined;
      let next = last ?? 1;
      const insert = this.db.prepare(`INSERT INTO flow_chunks (site, first_id, count, first_us, last_us, data) VALUES (?, ?, ?, ?, ?, ?)`);
      for (const [site, flows] of bySite) {
        for (let i = 0; i < flows.length; i += FLOWS_PER_CHUNK) {
          const chunk = flows.length <= FLOWS_PER_CHUNK ? flows : flows.slice(i, i + FLOWS_PER_CHUNK);
          const span = flowSpan(chunk);
          insert.run(site, next, chunk.length, span.firstUs, span.lastUs, encodeFlowChunk(chunk));
          next += chunk.length;
        }
      }
    })();
  }

  /** Stored flow chunks that could not be decoded (damaged on disk or by hand): skipped when read, with a warning. */
  damagedFlowChunks = 0;

  /** The stored flows (of one site, or of all) one chunk at a time, with their ids, in the order stored. */
  private *flowChunks(site?: string): Generator<StoredFlow[]> {
    const rows = site === undefined
      ? this.db.prepare(`SELECT id, first_id, data FROM flow_chunks ORDER BY id`).raw(true).iterate()
      : this.db.prepare(`SELECT id, first_id, data FROM flow_chunks WHERE site = ? ORDER BY id`).raw(true).iterate(site);
    for (const [id, firstId, data] of rows as Iterable<[number, number, unknown]>) {
      let flows: StoredFlow[];
      try {
        if (!(data instanceof Uint8Array)) throw new FlowChunkError(`flow chunk data is ${typeof data}, not a BLOB`);
        flows = decodeFlowChunk(data) as StoredFlow[];
      } catch (e) {
        if (!(e instanceof FlowChunkError)) throw e;
        this.damagedFlowChunks++;
        process.emitWarning(`flow chunk ${id} skipped: ${e.message}`, "CordonStoreWarning");
        continue;
      }
      for (let i = 0; i < flows.length; i++) flows[i].id = firstId + i;
      yield flows;
    }
  }

  /**
   * Merges the devices changed since the last save into the stored inventory, in one
   * transaction: counters add, first/last seen widen, facts and addresses upsert.
   */
  saveInventory(inv: Inventory): number {
    const upsertDevice = this.db.prepare(`INSERT INTO devices (site, key, mac, oui_vendor, local_mac, router, first_us,
        last_us, packets_out, packets_in, bytes_out, bytes_in)
      VALUES (@site, @key, @mac, @oui, @local, @router, @first, @last, @po, @pi, @bo, @bi)
      ON CONFLICT (site, key) DO UPDATE SET
        router = max(router, excluded.router),
        first_us = min(first_us, excluded.first_us),
        last_us = max(last_us, excluded.last_us),
        packets_out = packets_out + excluded.packets_out,
        packets_in = packets_in + excluded.packets_in,
        bytes_out = bytes_out + excluded.bytes_out,
        bytes_in = bytes_in + excluded.bytes_in
      RETURNING id`);
    const upsertAddress = this.db.prepare(`INSERT INTO device_addresses (device_id, ip, origin, first_us, last_us, source, packet)
      VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (device_id, ip) DO UPDATE SET
        first_us = min(first_us, excluded.first_us),
        last_us = max(last_us, excluded.last_us),
        origin = CASE WHEN origin = 'traffic' THEN excluded.origin ELSE origin END`);
    const dropTrafficAddresses = this.db.prepare(`DELETE FROM device_addresses WHERE device_id = ? AND origin = 'traffic'`);
    const upsertEndpoint = this.db.prepare(`INSERT INTO endpoints (site, ip, via_device_id, first_us, last_us)
      VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (site, ip, via_device_id) DO UPDATE SET
        first_us = min(first_us, excluded.first_us), last_us = max(last_us, excluded.last_us)`);
    const upsertFact = this.db.prepare(`INSERT INTO facts (device_id, kind, value, first_us, last_us, count, source, packet)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (device_id, kind, value) DO UPDATE SET
        first_us = min(first_us, excluded.first_us),
        last_us = max(last_us, excluded.last_us),
        count = count + excluded.count`);
    let written = 0;
    this.db.transaction(() => {
      for (const d of inv.devices.values()) {
        if (!d.dirty) continue;
        const row = upsertDevice.get(deviceParams(d)) as { id: number };
        const id = row.id;
        d.storeId = id;
        d.saved.packetsOut = d.packetsOut;
        d.saved.packetsIn = d.packetsIn;
        d.saved.bytesOut = d.bytesOut;
        d.saved.bytesIn = d.bytesIn;
        const own = new Set(ownAddresses(d));
        if (d.router) dropTrafficAddresses.run(id);
        for (const a of d.addresses.values()) {
          if (own.has(a.ip)) {
            upsertAddress.run(id, a.ip, a.origin, a.firstUs, a.lastUs, a.evidence.source, a.evidence.packet);
          }
        }
        for (const ip of endpointsBehind(d)) {
          const a = d.addresses.get(ip)!;
          upsertEndpoint.run(d.site, ip, id, a.firstUs, a.lastUs);
        }
        for (const [kind, values] of d.facts) {
          for (const f of values.values()) {
            const delta = f.count - f.savedCount;
            if (delta === 0) continue;
            upsertFact.run(id, kind, f.value, f.firstUs, f.lastUs, delta, f.evidence.source, f.evidence.packet);
            f.savedCount = f.count;
          }
        }
        d.dirty = false;
        written++;
      }
    })();
    return written;
  }

  /** Every stored device (of one site, or of all), ordered by site and key. */
  devices(site?: string): StoredDevice[] {
    return [...this.eachDevice(site)];
  }

  /**
   * The stored devices one at a time, read a page of DEVICE_PAGE devices (with their
   * addresses and facts) at a time, so memory holds a page, not the inventory.
   */
  *eachDevice(site?: string): Generator<StoredDevice> {
    // The first page, then each next one from where the last ended: a row-value comparison,
    // which SQLite answers from the (site, key) index instead of scanning the pages before.
    const siteOnly = site === undefined ? "" : "site = @site";
    // Rows as arrays (`raw`): better-sqlite3 builds an object per row through V8's slow property API.
    const columns = "id, site, key, mac, oui_vendor, local_mac, router, first_us, last_us, packets_out, packets_in, bytes_out, bytes_in";
    const firstPage = this.db.prepare(`SELECT ${columns} FROM devices ${siteOnly ? `WHERE ${siteOnly}` : ""} ORDER BY site, key LIMIT ${DEVICE_PAGE}`).raw();
    const nextPage = this.db.prepare(`SELECT ${columns} FROM devices WHERE ${siteOnly ? `${siteOnly} AND ` : ""}(site, key) > (@afterSite, @afterKey)
      ORDER BY site, key LIMIT ${DEVICE_PAGE}`).raw();
    const endpoints = new Map<number, number>();
    for (const e of this.db.prepare(`SELECT via_device_id, count(*) FROM endpoints GROUP BY via_device_id`).raw().all() as [number, number][]) {
      endpoints.set(e[0], e[1]);
    }
    let after: { afterSite: string; afterKey: string } | undefined;
    for (;;) {
      const rows = (after === undefined ? firstPage.all(site === undefined ? {} : { site }) : nextPage.all(site === undefined ? after : { ...after, site })) as DeviceTuple[];
      if (rows.length === 0) return;
      const ids = rows.map((r) => r[0]);
      const inPage = `device_id IN (${ids.map(() => "?").join(",")})`;
      const addresses = new Map<number, StoredAddress[]>();
      for (const a of this.db.prepare(`SELECT device_id, ip, origin, first_us, last_us, source, packet FROM device_addresses WHERE ${inPage}
          ORDER BY device_id, first_us, ip`).raw().all(...ids) as [number, string, string, number, number, string, number][]) {
        push(addresses, a[0], { ip: a[1], origin: a[2], firstUs: a[3], lastUs: a[4], source: a[5], packet: a[6] });
      }
      const facts = new Map<number, StoredFact[]>();
      for (const f of this.db.prepare(`SELECT device_id, kind, value, first_us, last_us, count, source, packet FROM facts WHERE ${inPage}
          ORDER BY device_id, kind, first_us, value`).raw().all(...ids) as [number, string, string, number, number, number, string, number][]) {
        push(facts, f[0], { kind: f[1], value: f[2], firstUs: f[3], lastUs: f[4], count: f[5], source: f[6], packet: f[7] });
      }
      for (const [id, rowSite, key, mac, ouiVendor, localMac, router, firstUs, lastUs, packetsOut, packetsIn, bytesOut, bytesIn] of rows) {
        yield {
          id,
          site: rowSite,
          key,
          mac,
          ouiVendor,
          localMac: localMac === 1,
          router: router === 1,
          firstUs,
          lastUs,
          packetsOut,
          packetsIn,
          bytesOut,
          bytesIn,
          addresses: addresses.get(id) ?? [],
          facts: facts.get(id) ?? [],
          endpoints: endpoints.get(id) ?? 0,
        };
      }
      const last = rows[rows.length - 1];
      after = { afterSite: last[1], afterKey: last[2] };
    }
  }

  /** The newest verdict of every device that has one. */
  latestVerdicts(): Map<number, StoredVerdict> {
    const rows = this.db.prepare(`SELECT v.* FROM verdicts v JOIN (SELECT device_id, max(id) AS id FROM verdicts GROUP BY device_id) m ON m.id = v.id`)
      .all() as VerdictRow[];
    return new Map(rows.map((r) => [r.device_id, verdictOf(r)]));
  }

  /**
   * Devices with a MAC that Cordon has identified: a person's override, or a newest verdict
   * with a category. What the RADIUS authorisation table calls known, in one query.
   */
  identifiedMacs(): { site: string; mac: string }[] {
    return (this.db.prepare(`SELECT d.site, d.mac FROM devices d
      LEFT JOIN overrides o ON o.device_id = d.id
      LEFT JOIN (SELECT device_id, max(id) AS id FROM verdicts GROUP BY device_id) m ON m.device_id = d.id
      LEFT JOIN verdicts v ON v.id = m.id
      WHERE d.mac IS NOT NULL AND (o.device_id IS NOT NULL OR (v.category IS NOT NULL AND v.category <> 'unknown'))
      ORDER BY d.site, d.key`).raw().all() as [string, string][]).map(([site, mac]) => ({ site, mac }));
  }

  /**
   * What group membership reads of each identified device (as `identifiedMacs`): its newest
   * verdict's id, category and vendor, a person's override, and its MUD URL (assigned, else
   * announced in DHCP or LLDP). One query, without the devices' other facts.
   */
  groupingInputs(): { site: string; mac: string; key: string; verdictId?: number; category?: string; vendor?: string; overrideCategory?: string; overrideCriticality?: string; mudUrl?: string }[] {
    const rows = this.db.prepare(`SELECT d.site, d.mac, d.key, v.id, v.category, v.vendor, o.category, o.criticality,
        coalesce(a.url, (SELECT f.value FROM facts f WHERE f.device_id = d.id AND f.kind IN ('dhcp.mud_url', 'lldp.mud_url') ORDER BY f.last_us DESC LIMIT 1))
      FROM devices d
      LEFT JOIN overrides o ON o.device_id = d.id
      LEFT JOIN (SELECT device_id, max(id) AS id FROM verdicts GROUP BY device_id) m ON m.device_id = d.id
      LEFT JOIN verdicts v ON v.id = m.id
      LEFT JOIN mud_assignments a ON a.site = d.site AND a.device_key = d.mac
      WHERE d.mac IS NOT NULL AND (o.device_id IS NOT NULL OR (v.category IS NOT NULL AND v.category <> 'unknown'))
      ORDER BY d.site, d.key`).raw().all() as (string | number | null)[][];
    const opt = (v: string | number | null): string | undefined => (v === null ? undefined : String(v));
    return rows.map(([site, mac, key, verdictId, category, vendor, oc, ocr, mud]) => ({
      site: String(site), mac: String(mac), key: String(key), verdictId: verdictId === null ? undefined : Number(verdictId),
      category: opt(category), vendor: opt(vendor), overrideCategory: opt(oc), overrideCriticality: opt(ocr), mudUrl: opt(mud),
    }));
  }

  /** The addresses of a site's devices named by MAC (for address sets whose members moved). */
  addressesOfMacs(site: string, macs: readonly string[]): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const stmt = this.db.prepare(`SELECT a.ip FROM devices d JOIN device_addresses a ON a.device_id = d.id WHERE d.site = ? AND d.mac = ? ORDER BY a.ip`).pluck();
    for (const mac of macs) out.set(mac, stmt.all(site, mac) as string[]);
    return out;
  }

  /** The category of every device's newest verdict (what detection needs, without the evidence). */
  latestCategories(): Map<number, string> {
    const rows = this.db.prepare(`SELECT v.device_id AS id, v.category FROM verdicts v JOIN (SELECT device_id, max(id) AS id FROM verdicts GROUP BY device_id) m ON m.id = v.id`)
      .raw().all() as [number, string][];
    return new Map(rows);
  }

  verdictHistory(deviceId: number): StoredVerdict[] {
    return (this.db.prepare(`SELECT * FROM verdicts WHERE device_id = ? ORDER BY id`).all(deviceId) as VerdictRow[]).map(verdictOf);
  }

  saveVerdicts(list: { deviceId: number; verdict: Omit<StoredVerdict, "id"> }[]): void {
    const stmt = this.db.prepare(`INSERT INTO verdicts (device_id, category, vendor, model, firmware, confidence, evidence, decided_us)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.db.transaction(() => {
      for (const { deviceId, verdict: v } of list) {
        stmt.run(deviceId, v.category, v.vendor ?? null, v.model ?? null, v.firmware ?? null, v.confidence, JSON.stringify(v.evidence), v.decidedUs);
      }
    })();
  }

  overrides(): Map<number, StoredOverride> {
    const rows = this.db.prepare(`SELECT * FROM overrides`).all() as { device_id: number; category: string | null; criticality: string | null; reason: string | null; set_by: string; set_at: string }[];
    return new Map(rows.map((r) => [r.device_id, { category: r.category ?? undefined, criticality: r.criticality ?? undefined, reason: r.reason ?? undefined, setBy: r.set_by, setAt: r.set_at }]));
  }

  setOverride(deviceId: number, o: StoredOverride): void {
    this.db.prepare(`INSERT INTO overrides (device_id, category, criticality, reason, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (device_id) DO UPDATE SET category = excluded.category, criticality = excluded.criticality,
        reason = excluded.reason, set_by = excluded.set_by, set_at = excluded.set_at`)
      .run(deviceId, o.category ?? null, o.criticality ?? null, o.reason ?? null, o.setBy, o.setAt);
  }

  /** Devices whose MAC or one of whose addresses is `macOrIp`. */
  findDevices(macOrIp: string): StoredDevice[] {
    const mac = parseMac(macOrIp);
    const needle = mac !== undefined ? macToString(mac) : macOrIp.toLowerCase();
    const ids = new Set((this.db.prepare(`SELECT id FROM devices WHERE mac = ? OR key = ?
      UNION SELECT device_id AS id FROM device_addresses WHERE ip = ?`).all(needle, `ip:${needle}`, needle) as { id: number }[])
      .map((r) => r.id));
    return this.devices().filter((d) => ids.has(d.id));
  }

  /** The first `limit` stored flows by first seen (then by id). */
  flows(limit = Number.MAX_SAFE_INTEGER): StoredFlow[] {
    const all: StoredFlow[] = [];
    for (const chunk of this.flowChunks()) for (const f of chunk) all.push(f);
    all.sort((a, b) => a.firstUs - b.firstUs || a.id - b.id);
    if (all.length > limit) all.length = limit;
    return all;
  }


  /**
   * Stores a new proposed version of the named policy; its version is one past the newest,
   * and `body` writes the version's text knowing its number.
   */
  savePolicy(p: { name: string; site: string; body: (version: number) => string; actor: string; at: string; note?: string }): { id: number; version: number } {
    return this.db.transaction(() => {
      const row = this.db.prepare(`SELECT MAX(version) AS v FROM policies WHERE name = ?`).get(p.name) as { v: number | null };
      const version = (row.v ?? 0) + 1;
      const id = Number(this.db.prepare(`INSERT INTO policies (name, site, version, status, body) VALUES (?, ?, ?, 'proposed', ?)`)
        .run(p.name, p.site, version, p.body(version)).lastInsertRowid);
      this.db.prepare(`INSERT INTO policy_events (policy_id, action, actor, at, note) VALUES (?, 'proposed', ?, ?, ?)`).run(id, p.actor, p.at, p.note ?? null);
      return { id, version };
    })();
  }

  policy(id: number): StoredPolicy | undefined {
    const r = this.db.prepare(`SELECT * FROM policies WHERE id = ?`).get(id) as PolicyRow | undefined;
    return r ? this.policyFromRow(r) : undefined;
  }

  /** Every stored policy version, newest first. */
  policies(): StoredPolicy[] {
    return (this.db.prepare(`SELECT * FROM policies ORDER BY id DESC`).all() as PolicyRow[]).map((r) => this.policyFromRow(r));
  }

  /**
   * Moves a policy version to a new status and records who did it. Enforcing a version
   * supersedes the version of the same name that was enforced before, in the same transaction.
   */
  setPolicyStatus(id: number, status: PolicyStatus, e: { actor: string; at: string; note?: string }): void {
    this.db.transaction(() => {
      const p = this.db.prepare(`SELECT name FROM policies WHERE id = ?`).get(id) as { name: string } | undefined;
      if (!p) throw new Error(`no policy ${id}`);
      const event = this.db.prepare(`INSERT INTO policy_events (policy_id, action, actor, at, note) VALUES (?, ?, ?, ?, ?)`);
      if (status === "enforced") {
        const before = this.db.prepare(`SELECT id FROM policies WHERE name = ? AND status = 'enforced' AND id != ?`).all(p.name, id) as { id: number }[];
        for (const b of before) {
          this.db.prepare(`UPDATE policies SET status = 'superseded' WHERE id = ?`).run(b.id);
          event.run(b.id, "superseded", e.actor, e.at, `by policy ${id}`);
        }
      }
      this.db.prepare(`UPDATE policies SET status = ? WHERE id = ?`).run(status, id);
      event.run(id, status, e.actor, e.at, e.note ?? null);
    })();
  }

  private policyFromRow(r: PolicyRow): StoredPolicy {
    const events = (this.db.prepare(`SELECT action, actor, at, note FROM policy_events WHERE policy_id = ? ORDER BY id`).all(r.id) as { action: string; actor: string; at: string; note: string | null }[])
      .map((x) => ({ action: x.action, actor: x.actor, at: x.at, note: x.note ?? undefined }));
    return { id: r.id, name: r.name, site: r.site, version: r.version, status: r.status as PolicyStatus, body: r.body, events };
  }

  /** Keeps imported MUD files by URL, all or none (a newer import of the same URL replaces it). */
  saveMudProfiles(list: readonly { url: string; body: string; source: string; at: string }[]): void {
    const insert = this.db.prepare(`INSERT INTO mud_profiles (url, body, source, imported_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (url) DO UPDATE SET body = excluded.body, source = excluded.source, imported_at = excluded.imported_at`);
    this.db.transaction(() => {
      for (const m of list) insert.run(m.url, m.body, m.source, m.at);
    })();
  }

  mudProfiles(): { url: string; body: string; source: string; importedAt: string }[] {
    return (this.db.prepare(`SELECT * FROM mud_profiles ORDER BY url`).all() as { url: string; body: string; source: string; imported_at: string }[])
      .map((r) => ({ url: r.url, body: r.body, source: r.source, importedAt: r.imported_at }));
  }

  /** Assigns a MUD URL to a device by hand (for devices that announce none, or announce a wrong one). */
  assignMud(a: { site: string; deviceKey: string; url: string; by: string; at: string }): void {
    this.db.prepare(`INSERT INTO mud_assignments (site, device_key, url, set_by, set_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (site, device_key) DO UPDATE SET url = excluded.url, set_by = excluded.set_by, set_at = excluded.set_at`)
      .run(a.site, a.deviceKey, a.url, a.by, a.at);
  }

  /** Device key → assigned MUD URL, for one site. */
  mudAssignments(site: string): Map<string, string> {
    const rows = this.db.prepare(`SELECT device_key, url FROM mud_assignments WHERE site = ?`).all(site) as { device_key: string; url: string }[];
    return new Map(rows.map((r) => [r.device_key, r.url]));
  }

  /**
   * A site's flows grouped per clock hour by VLAN, protocol, both ends and destination port
   * (source ports are dropped; packets, bytes and counts summed; first and last seen kept).
   */
  flowGroups(site: string): FlowGroup[] {
    const groups = new Map<string, FlowGroup>();
    for (const chunk of this.flowChunks(site)) {
      for (const f of chunk) {
        const hour = Math.floor(f.firstUs / 3_600_000_000);
        const key = `${hour} ${f.vlan} ${f.proto} ${f.srcMac ?? ""} ${f.srcIp} ${f.dstMac ?? ""} ${f.dstIp} ${f.dstPort}`;
        const g = groups.get(key);
        if (g === undefined) {
          const group: FlowGroup = {
            site, source: "", vlan: f.vlan, proto: f.proto, srcIp: f.srcIp, srcPort: 0, dstIp: f.dstIp, dstPort: f.dstPort, count: 1,
            initiatorKnown: f.initiatorKnown, packetsSrcToDst: f.packetsSrcToDst, bytesSrcToDst: f.bytesSrcToDst,
            packetsDstToSrc: f.packetsDstToSrc, bytesDstToSrc: f.bytesDstToSrc, firstUs: f.firstUs, lastUs: f.lastUs,
            tcpFlagsSrc: 0, tcpFlagsDst: 0, endReason: "grouped",
          };
          if (f.srcMac !== undefined) group.srcMac = f.srcMac;
          if (f.dstMac !== undefined) group.dstMac = f.dstMac;
          groups.set(key, group);
          continue;
        }
        g.count++;
        if (f.initiatorKnown) g.initiatorKnown = true;
        g.packetsSrcToDst += f.packetsSrcToDst;
        g.bytesSrcToDst += f.bytesSrcToDst;
        g.packetsDstToSrc += f.packetsDstToSrc;
        g.bytesDstToSrc += f.bytesDstToSrc;
        if (f.firstUs < g.firstUs) g.firstUs = f.firstUs;
        if (f.lastUs > g.lastUs) g.lastUs = f.lastUs;
      }
    }
    return [...groups.values()];
  }


  /**
   * Saves alerts: a new one as given; one already stored (same id: the same episode read
   * again, or grown) takes the new end, count and evidence and keeps its status. `deviceId`
   * binds it to the device of its acting host.
   */
  saveAlerts(alerts: readonly (Alert & { deviceId?: number })[]): void {
    const upsert = this.db.prepare(`INSERT INTO alerts (id, site, detector, class, severity, technique, device_id, source, target, title, first_us, last_us, count, evidence, status)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET last_us = MAX(last_us, excluded.last_us), count = MAX(count, excluded.count), evidence = excluded.evidence,
        severity = excluded.severity, title = excluded.title, device_id = COALESCE(device_id, excluded.device_id)`);
    // Positional parameters: binding fifteen by name cost a third of the time of each upsert.
    this.db.transaction(() => {
      for (const a of alerts) {
        upsert.run(a.id, a.site, a.detector, a.class, a.severity, a.technique, a.deviceId ?? null, a.source ?? null, a.target ?? null, a.title,
          a.firstUs, a.lastUs, a.count, JSON.stringify(a.evidence), a.status);
      }
    })();
  }

  /** The ids of every stored alert. */
  alertIds(): Set<string> {
    return new Set(this.db.prepare(`SELECT id FROM alerts`).pluck().all() as string[]);
  }

  /** Stored alerts, oldest first, with the MAC (or key) of the device each is bound to. */
  alerts(): StoredAlert[] {
    const rows = this.db.prepare(`SELECT a.*, d.mac AS device_mac, d.key AS device_key FROM alerts a LEFT JOIN devices d ON d.id = a.device_id ORDER BY a.first_us, a.id`).all() as AlertRow[];
    return rows.map((r) => ({
      id: r.id, site: r.site, detector: r.detector, class: r.class as Alert["class"], severity: r.severity as Alert["severity"], technique: r.technique,
      device: r.device_mac ?? r.device_key ?? undefined, source: r.source ?? undefined, target: r.target ?? undefined, title: r.title,
      firstUs: r.first_us, lastUs: r.last_us, count: r.count, evidence: JSON.parse(r.evidence) as Alert["evidence"], status: r.status as Alert["status"],
      statusBy: r.status_by ?? undefined, statusAt: r.status_at ?? undefined, statusNote: r.status_note ?? undefined,
    }));
  }

  /** Moves an alert along its life; false when there is no such alert. */
  setAlertStatus(id: string, status: Alert["status"], by: string, at: string, note?: string): boolean {
    return this.db.prepare(`UPDATE alerts SET status = ?, status_by = ?, status_at = ?, status_note = ? WHERE id = ?`).run(status, by, at, note ?? null, id).changes > 0;
  }

  /** Declares a maintenance window (times as ISO text). */
  addMaintenanceWindow(w: Omit<StoredMaintenanceWindow, "id">): number {
    return Number(this.db.prepare(`INSERT INTO maintenance_windows (site, target, starts_at, ends_at, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(w.site, w.target ?? null, w.startsAt, w.endsAt, w.reason, w.createdBy, w.createdAt).lastInsertRowid);
  }

  maintenanceWindows(): StoredMaintenanceWindow[] {
    return (this.db.prepare(`SELECT * FROM maintenance_windows ORDER BY starts_at, id`).all() as Record<string, string | number | null>[]).map((r) => ({
      id: r.id as number, site: r.site as string, target: r.target === null ? undefined : (r.target as string), startsAt: r.starts_at as string, endsAt: r.ends_at as string,
      reason: r.reason as string, createdBy: r.created_by as string, createdAt: r.created_at as string,
    }));
  }

  addSuppression(s: Omit<Suppression, "id">): number {
    return Number(this.db.prepare(`INSERT INTO suppressions (device, detector, peer, reason, expires_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(s.device ?? null, s.detector ?? null, s.peer ?? null, s.reason, s.expiresAt ?? null, s.createdBy, s.createdAt).lastInsertRowid);
  }

  suppressions(): Suppression[] {
    return (this.db.prepare(`SELECT * FROM suppressions ORDER BY id`).all() as { id: number; device: string | null; detector: string | null; peer: string | null; reason: string; expires_at: string | null; created_by: string; created_at: string }[])
      .map((r) => ({ id: r.id, device: r.device ?? undefined, detector: r.detector ?? undefined, peer: r.peer ?? undefined, reason: r.reason, expiresAt: r.expires_at ?? undefined, createdBy: r.created_by, createdAt: r.created_at }));
  }

  removeSuppression(id: number): boolean {
    return this.db.prepare(`DELETE FROM suppressions WHERE id = ?`).run(id).changes > 0;
  }

  sources(): SourceSummary[] {
    return (this.db.prepare(`SELECT * FROM sources ORDER BY id`).all() as {
      name: string; site: string; kind: string; format: string | null; first_us: number | null; last_us: number | null;
      packets: number; bytes: number; flows: number; errors: string; fatal: string | null;
    }[]).map((r) => ({
      name: r.name, site: r.site, kind: r.kind, format: r.format ?? undefined, firstUs: r.first_us ?? undefined,
      lastUs: r.last_us ?? undefined, packets: r.packets, bytes: r.bytes, flows: r.flows,
      errors: JSON.parse(r.errors) as Record<string, number>, fatal: r.fatal ?? undefined,
    }));
  }
}

function push<T>(m: Map<number, T[]>, k: number, v: T): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

function deviceParams(d: Device): Record<string, unknown> {
  return {
    site: d.site,
    key: d.mac ?? `ip:${d.ipKey}`,
    mac: d.mac ?? null,
    oui: d.ouiVendor ?? null,
    local: d.localMac ? 1 : 0,
    router: d.router ? 1 : 0,
    first: Number.isFinite(d.firstUs) ? d.firstUs : d.lastUs,
    last: d.lastUs,
    po: d.packetsOut - d.saved.packetsOut,
    pi: d.packetsIn - d.saved.packetsIn,
    bo: d.bytesOut - d.saved.bytesOut,
    bi: d.bytesIn - d.saved.bytesIn,
  };
}
