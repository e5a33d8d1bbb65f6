import { existsSync } from "node:fs";
import { macToString, parseMac } from "../net/addr.js";
import type { DeviceChange, StoredAddress, StoredDevice, StoredFact } from "../inventory/inventory.js";
import type { FlowGroup, FlowRecord } from "../model/flow-record.js";
import { FLOWS_PER_CHUNK, FlowChunkError, type FlowColumns, type RawFlowChunk, chunkHasAny, decodeFlowChunk, flowChunkColumns, flowChunkRaw, encodeWithHosts, flowSpan, hostFilter, hostKey } from "./flow-chunk.js";
import type { Alert } from "../model/alert.js";
import type { Advisory, KevEntry } from "../model/advisory.js";
import type { PolicyStatus } from "../model/policy-status.js";
import { BEHAVIOUR_EVIDENCE_PREFIX } from "../model/verdict-evidence.js";
import { checkSchema, migrate, schemaBehind } from "./migrations.js";
import { type FlowPairs, addToGroup, startGroup } from "./flow-pairs.js";
import { type Sql, type SqlValue, greatest, least } from "./sql.js";
import { SqliteSql } from "./sqlite-sql.js";
import { PostgresSql, isPostgresUrl } from "./postgres-sql.js";
import type { AlertStore, DeviceStore, FlowStore, PolicyStore, SourceStore, VerdictStore } from "./ports.js";

export type { StoredAddress, StoredFact };
export type { AlertSummary, SourceSummary, StoredFlow, StoredVerdict, VerdictSummary, StoredOverride, StoredPolicy, StoredAlert, StoredMaintenanceWindow, Suppression, GroupingInput, StoredEolDecision } from "./records.js";
import type { AlertPageQuery, AlertSummary, SourceSummary, StoredFlow, StoredVerdict, VerdictSummary, StoredOverride, StoredPolicy, StoredAlert, StoredMaintenanceWindow, Suppression, GroupingInput, StoredEolDecision } from "./records.js";

export type { StoredDevice } from "../inventory/inventory.js";

/** A device row as `eachDevice` reads it, in its column order. */
type DeviceTuple = [id: number, site: string, key: string, mac: string | null, ouiVendor: string | null, localMac: number, router: number,
  firstUs: number, lastUs: number, packetsOut: number, packetsIn: number, bytesOut: number, bytesIn: number];

interface VerdictRow {
  id: number; device_id: number; category: string; vendor: string | null; model: string | null; firmware: string | null;
  confidence: number; evidence: string; decided_us: number;
}

function verdictOf(r: VerdictRow): StoredVerdict {
  return { ...verdictSummaryOf(r), evidence: JSON.parse(r.evidence) as unknown[] };
}

function verdictSummaryOf(r: Omit<VerdictRow, "evidence">): VerdictSummary {
  return {
    id: r.id, category: r.category, vendor: r.vendor ?? undefined, model: r.model ?? undefined, firmware: r.firmware ?? undefined,
    confidence: r.confidence, decidedUs: r.decided_us,
  };
}

interface AlertRow {
  id: string; site: string; detector: string; class: string; severity: string; technique: string; device_mac: string | null; device_key: string | null;
  source: string | null; target: string | null; title: string; first_us: number; last_us: number; count: number; evidence: string; status: string;
  status_by: string | null; status_at: string | null; status_note: string | null;
}

const ALERT_SUMMARY_COLUMNS = "a.id, a.site, a.detector, a.class, a.severity, a.technique, a.source, a.target, a.title, a.first_us, a.last_us, a.count, a.status, a.status_by, a.status_at, a.status_note";

function alertSummaryOf(r: Omit<AlertRow, "evidence">): AlertSummary {
  return {
    id: r.id, site: r.site, detector: r.detector, class: r.class as Alert["class"], severity: r.severity as Alert["severity"], technique: r.technique,
    device: r.device_mac ?? r.device_key ?? undefined, source: r.source ?? undefined, target: r.target ?? undefined, title: r.title,
    firstUs: r.first_us, lastUs: r.last_us, count: r.count, status: r.status as Alert["status"],
    statusBy: r.status_by ?? undefined, statusAt: r.status_at ?? undefined, statusNote: r.status_note ?? undefined,
  };
}

interface PolicyRow { id: number; name: string; site: string; version: number; status: string; body: string }

const DEVICE_COLUMNS = "id, site, key, mac, oui_vendor, local_mac, router, first_us, last_us, packets_out, packets_in, bytes_out, bytes_in";

/** A device row as `eachDeviceRow` reads it, in its column order. */
type RowTuple = [id: number, site: string, key: string, mac: string | null, lastUs: number];
const ROW_COLUMNS = "id, site, key, mac, last_us";

/**
 * The parameters of `substr(v.evidence, 1, ?) <> ?`: true unless a verdict's category rests on
 * the behavioural model alone, a guess that does not make a device known to the NAC.
 */
const MODEL_GUESS = [BEHAVIOUR_EVIDENCE_PREFIX.length, BEHAVIOUR_EVIDENCE_PREFIX] as const;

/**
 * A device as a table of thousands lists it (`Store.eachDeviceRow`): who it is, its
 * addresses, when it was last seen, and its facts' kinds, values and sightings, without
 * their evidence. A `StoredDevice` is one too.
 */
export interface DeviceRowRecord {
  id: number;
  site: string;
  key: string;
  mac: string | null;
  lastUs: number;
  addresses: { ip: string }[];
  facts: { kind: string; value: string; count: number }[];
}

/** Devices read per query by `eachDevice` (SQLite allows 32,766 parameters, PostgreSQL 65,535). */
const DEVICE_PAGE = 1000;
/** Flow chunks named per query. */
const CHUNK_PAGE = 64;
/** Addresses asked for in one query (each is a parameter twice; SQLite allows 32,766). */
const ADDRESS_BATCH = 500;

/**
 * The only class that speaks SQL about Cordon's records, the same for SQLite (a file path or
 * ":memory:", the default) and PostgreSQL (a postgres:// URL): each method takes and returns
 * values, never domain objects. The methods fall in aggregates (store/ports.ts names them);
 * NAC and audit records have classes of their own on the same connection (`sql`).
 */
export class Store implements DeviceStore, FlowStore, VerdictStore, PolicyStore, AlertStore, SourceStore {
  readonly sql: Sql;

  /** `mustExist`: a SQLite file that is not there is an error, not a new empty database (commands that only read). */
  /**
   * `mustExist`: a SQLite file that is not there is an error, not a new empty database.
   * `readOnly` (implies mustExist): the commands that only read open the database read-only.
   * A schema older than this Cordon is upgraded first, through a connection of its own (a
   * database the user may not write stays an error naming what upgrades it).
   */
  constructor(location: string, o: { mustExist?: boolean; readOnly?: boolean } = {}) {
    if ((o.mustExist || o.readOnly) && !isPostgresUrl(location) && location !== ":memory:" && !existsSync(location)) {
      throw new Error(`${location}: no such database ('cordon analyze' or 'cordon serve' makes one; --db or CORDON_DB names another)`);
    }
    this.sql = isPostgresUrl(location) ? new PostgresSql(location, { readOnly: o.readOnly }) : new SqliteSql(location, { readOnly: o.readOnly });
    try {
      if (o.readOnly && schemaBehind(this.sql)) {
        this.sql.close();
        // The upgrade writes; the reading that follows does not.
        new Store(location, { mustExist: true }).close();
        this.sql = isPostgresUrl(location) ? new PostgresSql(location, { readOnly: true }) : new SqliteSql(location, { readOnly: true });
      }
      if (o.readOnly) checkSchema(this.sql);
      else migrate(this.sql);
    } catch (e) {
      this.sql.close();
      throw e;
    }
  }

  close(): void {
    this.sql.close();
  }

  saveSource(s: SourceSummary): void {
    this.sql.run(`INSERT INTO sources (name, site, kind, format, first_us, last_us, packets, bytes, flows, errors, fatal, content_hash, read_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      s.name, s.site, s.kind, s.format ?? null, s.firstUs ?? null, s.lastUs ?? null,
      s.packets, s.bytes, s.flows, JSON.stringify(s.errors), s.fatal ?? null, s.contentHash ?? null, s.readAt ?? null,
    );
  }

  /** The capture with this content that a run already read to its end at the site, if any. */
  sourceWithContent(site: string, contentHash: string): { name: string; readAt: string | null } | undefined {
    return this.sql.get(`SELECT name, read_at AS "readAt" FROM sources WHERE site = ? AND content_hash = ? ORDER BY id LIMIT 1`, site, contentHash);
  }

  /** Where a followed log file was read to (file, inode, byte offset), by source. */
  readPositions(source: string): Map<string, { inode: number; offset: number }> {
    const rows = this.sql.rows<[string, number, number]>(`SELECT path, inode, "offset" FROM read_positions WHERE source = ?`, source);
    return new Map(rows.map(([path, inode, offset]) => [path, { inode, offset }]));
  }

  saveReadPositions(source: string, positions: readonly { path: string; inode: number; offset: number }[]): void {
    this.sql.insertMany("read_positions", ["source", "path", "inode", `"offset"`], positions.map((p) => [source, p.path, p.inode, p.offset]),
      `ON CONFLICT (source, path) DO UPDATE SET inode = excluded.inode, "offset" = excluded."offset"`);
  }

  /**
   * Writes finished flows in one transaction, as chunks of one site each (store/flow-chunk.ts),
   * numbered on from the last stored flow. On PostgreSQL the table is locked for the numbering,
   * so sensors writing at once never give two flows one id.
   */
  saveFlows(batch: readonly FlowRecord[]): void {
    if (batch.length === 0) return;
    const bySite = new Map<string, FlowRecord[]>();
    for (const f of batch) {
      const list = bySite.get(f.site);
      if (list) list.push(f);
      else bySite.set(f.site, [f]);
    }
    const chunks: { site: string; flows: readonly FlowRecord[] }[] = [];
    for (const [site, flows] of bySite) {
      for (let i = 0; i < flows.length; i += FLOWS_PER_CHUNK) chunks.push({ site, flows: flows.length <= FLOWS_PER_CHUNK ? flows : flows.slice(i, i + FLOWS_PER_CHUNK) });
    }
    // Encoded before the transaction: a lock is held for the writes only.
    const encoded = chunks.map((c) => ({ site: c.site, count: c.flows.length, span: flowSpan(c.flows), ...encodeWithHosts(c.flows) }));
    this.sql.transaction(() => {
      if (this.sql.dialect === "postgres") this.sql.exec("LOCK TABLE flow_chunks IN SHARE ROW EXCLUSIVE MODE");
      const last = this.sql.column<number>(`SELECT first_id + count FROM flow_chunks ORDER BY id DESC LIMIT 1`)[0];
      let next = last ?? 1;
      const rows: SqlValue[][] = [];
      const hosts: SqlValue[][] = [];
      for (const c of encoded) {
        rows.push([c.site, next, c.count, c.span.firstUs, c.span.lastUs, c.data]);
        hosts.push([next, c.hosts]);
        next += c.count;
      }
      this.sql.insertMany("flow_chunks", ["site", "first_id", "count", "first_us", "last_us", "data"], rows);
      this.sql.insertMany("flow_chunk_hosts", ["first_id", "hosts"], hosts);
    });
  }

  /**
   * Brings a site's flow pairs (store/flow-pairs.ts) up to date: folds in the flows stored
   * since the last fold, chunk by chunk, and returns the pairs. A fresh accumulator reads the
   * site's whole history once.
   */
  foldFlowPairs(acc: FlowPairs, site: string): FlowGroup[] {
    const from = acc.nextId(site);
    let next = from;
    for (const chunk of this.flowChunks(site, from)) {
      acc.add(from > 1 ? chunk.filter((f) => f.id >= from) : chunk);
      next = Math.max(next, chunk[chunk.length - 1].id + 1);
    }
    acc.setNextId(site, next);
    return acc.pairs(site);
  }

  /** Stored flow chunks that could not be decoded (damaged on disk or by hand): skipped when read, with a warning. */
  damagedFlowChunks = 0;

  /**
   * The stored flows (of one site, or of all) one chunk at a time, with their ids, in the order
   * stored; from the chunk holding flow `fromId` on (flow ids grow with chunk ids).
   */
  private *flowChunks(site?: string, fromId = 1): Generator<StoredFlow[]> {
    for (const { firstId, flows } of this.decodedChunks(site, fromId, (data) => decodeFlowChunk(data) as StoredFlow[])) {
      for (let i = 0; i < flows.length; i++) flows[i].id = firstId + i;
      yield flows;
    }
  }

  /**
   * A site's stored chunks as their columns (store/flow-chunk.ts `RawFlowChunk`), in the order
   * stored, from the chunk holding flow `fromId` on, with the id of each chunk's first flow:
   * for readers that copy flows without a record each (store/recent-flows.ts).
   */
  *flowRawChunks(site: string, fromId = 1): Generator<{ firstId: number; chunk: RawFlowChunk }> {
    for (const { firstId, flows } of this.decodedChunks(site, fromId, flowChunkRaw)) yield { firstId, chunk: flows };
  }

  /** The sites that have stored flows. */
  flowSites(): string[] {
    return this.sql.column<string>(`SELECT DISTINCT site FROM flow_chunks ORDER BY site`);
  }

  /**
   * A site's stored flows as columns (store/flow-chunk.ts `FlowColumns`), a chunk at a time in
   * the order stored, from the chunk holding flow `fromId` on, with the id of each chunk's first
   * flow: for readers that sum flows (baseline/flow-summaries.ts) without a record per flow.
   */
  *flowColumns(site: string, fromId = 1): Generator<{ firstId: number; columns: FlowColumns }> {
    for (const { firstId, flows } of this.decodedChunks(site, fromId, flowChunkColumns)) yield { firstId, columns: flows };
  }

  /**
   * Stored chunks decoded by `decode`, paged; a damaged chunk is skipped with a warning and
   * counted. A page names its chunks and each chunk's data is read when its turn comes, so a
   * reader that stops early (a fold in slices) reads no chunk it does not decode.
   */
  private *decodedChunks<T>(site: string | undefined, fromId: number, decode: (data: Uint8Array) => T): Generator<{ firstId: number; flows: T }> {
    let after = 0;
    for (;;) {
      const page = site === undefined
        ? this.sql.rows<[number, number]>(`SELECT id, first_id FROM flow_chunks WHERE id > ? AND first_id + count > ? ORDER BY id LIMIT ${CHUNK_PAGE}`, after, fromId)
        : this.sql.rows<[number, number]>(`SELECT id, first_id FROM flow_chunks WHERE site = ? AND id > ? AND first_id + count > ? ORDER BY id LIMIT ${CHUNK_PAGE}`, site, after, fromId);
      if (page.length === 0) return;
      after = page[page.length - 1][0];
      for (const [id, firstId] of page) {
        const flows = this.decodeChunk(id, this.sql.column<unknown>(`SELECT data FROM flow_chunks WHERE id = ?`, id)[0], decode);
        if (flows === undefined) continue;
        yield { firstId, flows };
      }
    }
  }

  /**
   * Merges device changes (inventory/inventory.ts `DeviceChange`) into the stored inventory, in
   * one transaction: counters add, first/last seen widen, facts and addresses upsert. Returns
   * each device's id, in the order given.
   */
  saveDevices(changes: readonly DeviceChange[]): number[] {
    if (changes.length === 0) return [];
    const sql = this.sql;
    return sql.transaction(() => {
      const returned = sql.insertMany("devices", ["site", "key", "mac", "oui_vendor", "local_mac", "router", "first_us", "last_us", "packets_out", "packets_in", "bytes_out", "bytes_in"],
        changes.map((c) => [c.site, c.key, c.mac, c.ouiVendor, c.localMac ? 1 : 0, c.router ? 1 : 0, c.firstUs, c.lastUs, c.packetsOut, c.packetsIn, c.bytesOut, c.bytesIn]),
        `ON CONFLICT (site, key) DO UPDATE SET
          router = ${greatest(sql, "devices.router", "excluded.router")},
          first_us = ${least(sql, "devices.first_us", "excluded.first_us")},
          last_us = ${greatest(sql, "devices.last_us", "excluded.last_us")},
          packets_out = devices.packets_out + excluded.packets_out,
          packets_in = devices.packets_in + excluded.packets_in,
          bytes_out = devices.bytes_out + excluded.bytes_out,
          bytes_in = devices.bytes_in + excluded.bytes_in`, "id, site, key");
      const idOf = new Map(returned.map(([id, site, key]) => [`${String(site)}\t${String(key)}`, id as number]));
      const ids = changes.map((c) => idOf.get(`${c.site}\t${c.key}`)!);
      const routers = ids.filter((_, i) => changes[i].dropTrafficAddresses);
      for (const id of routers) sql.run(`DELETE FROM device_addresses WHERE device_id = ? AND origin = 'traffic'`, id);
      // Rows are generated as they are written, not built as arrays first: a first run writes every fact at once.
      sql.insertMany("device_addresses", ["device_id", "ip", "origin", "first_us", "last_us", "source", "packet"],
        each(changes, (c) => c.addresses, (r, a, i) => { r[0] = ids[i]; r[1] = a.ip; r[2] = a.origin; r[3] = a.firstUs; r[4] = a.lastUs; r[5] = a.source; r[6] = a.packet; }),
        `ON CONFLICT (device_id, ip) DO UPDATE SET
          first_us = ${least(sql, "device_addresses.first_us", "excluded.first_us")},
          last_us = ${greatest(sql, "device_addresses.last_us", "excluded.last_us")},
          origin = CASE WHEN device_addresses.origin = 'traffic' THEN excluded.origin ELSE device_addresses.origin END`);
      sql.insertMany("endpoints", ["site", "ip", "via_device_id", "first_us", "last_us"],
        each(changes, (c) => c.endpoints, (r, e, i) => { r[0] = changes[i].site; r[1] = e.ip; r[2] = ids[i]; r[3] = e.firstUs; r[4] = e.lastUs; }),
        `ON CONFLICT (site, ip, via_device_id) DO UPDATE SET
          first_us = ${least(sql, "endpoints.first_us", "excluded.first_us")}, last_us = ${greatest(sql, "endpoints.last_us", "excluded.last_us")}`);
      sql.insertMany("facts", ["device_id", "kind", "value", "first_us", "last_us", "count", "source", "packet"],
        each(changes, (c) => c.facts, (r, f, i) => { r[0] = ids[i]; r[1] = f.kind; r[2] = f.value; r[3] = f.firstUs; r[4] = f.lastUs; r[5] = f.count; r[6] = f.source; r[7] = f.packet; }),
        `ON CONFLICT (device_id, kind, value) DO UPDATE SET
          first_us = ${least(sql, "facts.first_us", "excluded.first_us")},
          last_us = ${greatest(sql, "facts.last_us", "excluded.last_us")},
          count = facts.count + excluded.count`);
      return ids;
    });
  }

  /** Every stored device (of one site, or of all), ordered by site and key. */
  devices(site?: string): StoredDevice[] {
    return [...this.eachDevice(site)];
  }

  /**
   * The stored devices one at a time (of one site, or of all; after a site and key, or from
   * the first), read a page of `pageSize` (at most DEVICE_PAGE) devices (with their addresses and facts) at a
   * time, so memory holds a page, not the inventory.
   */
  *eachDevice(site?: string, from?: { site: string; key: string }, pageSize = DEVICE_PAGE): Generator<StoredDevice> {
    yield* this.devicePages<DeviceTuple, StoredDevice>(DEVICE_COLUMNS, (rows) => this.withDetails(rows), site, from, pageSize);
  }

  /**
   * The devices as `eachDevice` reads them, as a table of thousands lists them
   * (`DeviceRowRecord`): without counters, endpoints or the facts' evidence, which are most of
   * what a page of devices costs to read.
   */
  *eachDeviceRow(site?: string, from?: { site: string; key: string }, pageSize = DEVICE_PAGE): Generator<DeviceRowRecord> {
    yield* this.devicePages<RowTuple, DeviceRowRecord>(ROW_COLUMNS, (rows) => this.rowDetails(rows), site, from, pageSize);
  }

  /** Devices a page at a time by site and key; `columns` start with id, site, key. */
  private *devicePages<R extends [number, string, string, ...unknown[]], T>(columns: string, details: (rows: R[]) => T[], site: string | undefined,
    from: { site: string; key: string } | undefined, pageSize: number): Generator<T> {
    const page = Number.isInteger(pageSize) && pageSize > 0 ? Math.min(pageSize, DEVICE_PAGE) : DEVICE_PAGE;
    // The first page, then each next one from where the last ended: a row-value comparison,
    // which both engines answer from the (site, key) index instead of scanning the pages before.
    let after: [string, string] | undefined = from ? [from.site, from.key] : undefined;
    for (;;) {
      const where = [...(site === undefined ? [] : ["site = ?"]), ...(after === undefined ? [] : ["(site, key) > (?, ?)"])];
      const rows = this.sql.rows<R>(`SELECT ${columns} FROM devices ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY site, key LIMIT ${page}`,
        ...(site === undefined ? [] : [site]), ...(after ?? []));
      if (rows.length === 0) return;
      yield* details(rows);
      const last = rows[rows.length - 1];
      after = [last[1], last[2]];
    }
  }

  /** `DeviceRowRecord`s of rows read from `devices` (ROW_COLUMNS), in the rows' order. */
  private rowDetails(rows: RowTuple[]): DeviceRowRecord[] {
    const ids = rows.map((r) => r[0]);
    const inPage = `device_id IN (${ids.map(() => "?").join(",")})`;
    const addresses = new Map<number, { ip: string }[]>();
    for (const [id, ip] of this.sql.rows<[number, string]>(`SELECT device_id, ip FROM device_addresses WHERE ${inPage} ORDER BY device_id, first_us, ip`, ...ids)) push(addresses, id, { ip });
    const facts = new Map<number, { kind: string; value: string; count: number }[]>();
    for (const [id, kind, value, count] of this.sql.rows<[number, string, string, number]>(`SELECT device_id, kind, value, count FROM facts WHERE ${inPage}
        ORDER BY device_id, kind, first_us, value`, ...ids)) push(facts, id, { kind, value, count });
    return rows.map(([id, rowSite, key, mac, lastUs]) => ({ id, site: rowSite, key, mac, lastUs, addresses: addresses.get(id) ?? [], facts: facts.get(id) ?? [] }));
  }

  /** Devices of rows read from `devices` (DEVICE_COLUMNS), with their addresses, facts and endpoint counts, in the rows' order. */
  private withDetails(rows: DeviceTuple[]): StoredDevice[] {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r[0]);
    const inPage = `device_id IN (${ids.map(() => "?").join(",")})`;
    const addresses = new Map<number, StoredAddress[]>();
    for (const a of this.sql.rows<[number, string, string, number, number, string, number]>(`SELECT device_id, ip, origin, first_us, last_us, source, packet FROM device_addresses WHERE ${inPage}
        ORDER BY device_id, first_us, ip`, ...ids)) {
      push(addresses, a[0], { ip: a[1], origin: a[2], firstUs: a[3], lastUs: a[4], source: a[5], packet: a[6] });
    }
    const endpoints = new Map(this.sql.rows<[number, number]>(`SELECT via_device_id, count(*) FROM endpoints WHERE via_device_id IN (${ids.map(() => "?").join(",")})
        GROUP BY via_device_id`, ...ids));
    const facts = new Map<number, StoredFact[]>();
    for (const f of this.sql.rows<[number, string, string, number, number, number, string, number]>(`SELECT device_id, kind, value, first_us, last_us, count, source, packet FROM facts WHERE ${inPage}
        ORDER BY device_id, kind, first_us, value`, ...ids)) {
      push(facts, f[0], { kind: f[1], value: f[2], firstUs: f[3], lastUs: f[4], count: f[5], source: f[6], packet: f[7] });
    }
    return rows.map(([id, rowSite, key, mac, ouiVendor, localMac, router, firstUs, lastUs, packetsOut, packetsIn, bytesOut, bytesIn]) => ({
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
    }));
  }

  /** The newest verdict of every device that has one (of the devices named, when `ids` is given). */
  latestVerdicts(ids?: readonly number[]): Map<number, StoredVerdict> {
    return new Map(this.newestVerdicts<VerdictRow>("v.*", ids).map((r) => [r.device_id, verdictOf(r)]));
  }

  /** `latestVerdicts` without the evidence, which a list of devices does not show and which is most of a verdict's bytes. */
  latestVerdictSummaries(ids?: readonly number[]): Map<number, VerdictSummary> {
    return new Map(this.newestVerdicts<Omit<VerdictRow, "evidence">>("v.id, v.device_id, v.category, v.vendor, v.model, v.firmware, v.confidence, v.decided_us", ids)
      .map((r) => [r.device_id, verdictSummaryOf(r)]));
  }

  private newestVerdicts<R>(columns: string, ids: readonly number[] | undefined): R[] {
    const only = ids === undefined ? "" : `WHERE device_id IN (${ids.map(() => "?").join(",") || "NULL"})`;
    return this.sql.all<R>(`SELECT ${columns} FROM verdicts v JOIN (SELECT device_id, max(id) AS id FROM verdicts ${only} GROUP BY device_id) m ON m.id = v.id`, ...(ids ?? []));
  }

  /**
   * Devices with a MAC that Cordon has identified: a person's override, or a newest verdict
   * with a category from what the device said (not the behavioural model's guess alone). What
   * the RADIUS authorisation table calls known, in one query.
   */
  identifiedMacs(): { site: string; mac: string }[] {
    return this.sql.rows<[string, string]>(`SELECT d.site, d.mac FROM devices d
      LEFT JOIN overrides o ON o.device_id = d.id
      LEFT JOIN (SELECT device_id, max(id) AS id FROM verdicts GROUP BY device_id) m ON m.device_id = d.id
      LEFT JOIN verdicts v ON v.id = m.id
      WHERE d.mac IS NOT NULL AND (o.device_id IS NOT NULL OR (v.category IS NOT NULL AND v.category <> 'unknown' AND substr(v.evidence, 1, ?) <> ?))
      ORDER BY d.site, d.key`, ...MODEL_GUESS).map(([site, mac]) => ({ site, mac }));
  }

  /**
   * What group membership reads of each identified device (as `identifiedMacs`): its newest
   * verdict's id, category and vendor, a person's override, and its MUD URL (assigned, else
   * announced in DHCP or LLDP). One query, without the devices' other facts.
   */
  groupingInputs(): GroupingInput[] {
    const rows = this.sql.rows<(string | number | null)[]>(`SELECT d.site, d.mac, d.key, v.id, v.category, v.vendor, o.category, o.criticality,
        coalesce(a.url, (SELECT f.value FROM facts f WHERE f.device_id = d.id AND f.kind IN ('dhcp.mud_url', 'lldp.mud_url') ORDER BY f.last_us DESC LIMIT 1))
      FROM devices d
      LEFT JOIN overrides o ON o.device_id = d.id
      LEFT JOIN (SELECT device_id, max(id) AS id FROM verdicts GROUP BY device_id) m ON m.device_id = d.id
      LEFT JOIN verdicts v ON v.id = m.id
      LEFT JOIN mud_assignments a ON a.site = d.site AND a.device_key = d.mac
      WHERE d.mac IS NOT NULL AND (o.device_id IS NOT NULL OR (v.category IS NOT NULL AND v.category <> 'unknown' AND substr(v.evidence, 1, ?) <> ?))
      ORDER BY d.site, d.key`, ...MODEL_GUESS);
    const opt = (v: string | number | null): string | undefined => (v === null ? undefined : String(v));
    return rows.map(([site, mac, key, verdictId, category, vendor, oc, ocr, mud]) => ({
      site: String(site), mac: String(mac), key: String(key), verdictId: verdictId === null ? undefined : Number(verdictId),
      category: opt(category), vendor: opt(vendor), overrideCategory: opt(oc), overrideCriticality: opt(ocr), mudUrl: opt(mud),
    }));
  }

  /** The addresses of a site's devices named by MAC (for address sets whose members moved). */
  addressesOfMacs(site: string, macs: readonly string[]): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const mac of macs) out.set(mac, this.sql.column<string>(`SELECT a.ip FROM devices d JOIN device_addresses a ON a.device_id = d.id WHERE d.site = ? AND d.mac = ? ORDER BY a.ip`, site, mac));
    return out;
  }

  /** The category of every device's newest verdict (what detection needs, without the evidence). */
  latestCategories(): Map<number, string> {
    return new Map(this.sql.rows<[number, string]>(`SELECT v.device_id AS id, v.category FROM verdicts v JOIN (SELECT device_id, max(id) AS id FROM verdicts GROUP BY device_id) m ON m.id = v.id`));
  }

  verdictHistory(deviceId: number): StoredVerdict[] {
    return this.sql.all<VerdictRow>(`SELECT * FROM verdicts WHERE device_id = ? ORDER BY id`, deviceId).map(verdictOf);
  }

  saveVerdicts(list: { deviceId: number; verdict: Omit<StoredVerdict, "id"> }[]): void {
    this.sql.transaction(() => {
      this.sql.insertMany("verdicts", ["device_id", "category", "vendor", "model", "firmware", "confidence", "evidence", "decided_us"],
        list.map(({ deviceId, verdict: v }) => [deviceId, v.category, v.vendor ?? null, v.model ?? null, v.firmware ?? null, v.confidence, JSON.stringify(v.evidence), v.decidedUs]));
    });
  }

  /** People's overrides, by device id (of the devices named, when `ids` is given). */
  overrides(ids?: readonly number[]): Map<number, StoredOverride> {
    const only = ids === undefined ? "" : `WHERE device_id IN (${ids.map(() => "?").join(",") || "NULL"})`;
    const rows = this.sql.all<{ device_id: number; category: string | null; criticality: string | null; reason: string | null; set_by: string; set_at: string }>(`SELECT * FROM overrides ${only}`, ...(ids ?? []));
    return new Map(rows.map((r) => [r.device_id, { category: r.category ?? undefined, criticality: r.criticality ?? undefined, reason: r.reason ?? undefined, setBy: r.set_by, setAt: r.set_at }]));
  }

  setOverride(deviceId: number, o: StoredOverride): void {
    this.sql.run(`INSERT INTO overrides (device_id, category, criticality, reason, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (device_id) DO UPDATE SET category = excluded.category, criticality = excluded.criticality,
        reason = excluded.reason, set_by = excluded.set_by, set_at = excluded.set_at`,
      deviceId, o.category ?? null, o.criticality ?? null, o.reason ?? null, o.setBy, o.setAt);
  }

  /** "SITE MAC" of devices with a fact of one of `kinds` seen at least `minCount` times (settled). */
  macsWithFacts(kinds: readonly string[], minCount = 1): Set<string> {
    if (kinds.length === 0) return new Set();
    const rows = this.sql.rows<[string, string]>(`SELECT DISTINCT d.site, d.mac FROM facts f JOIN devices d ON d.id = f.device_id
      WHERE d.mac IS NOT NULL AND f.count >= ? AND f.kind IN (${kinds.map(() => "?").join(", ")})`, minCount, ...kinds);
    return new Set(rows.map(([site, mac]) => `${site} ${mac}`));
  }

  /** "SITE MAC" of devices with an alert of one of `classes` still open or acknowledged. */
  macsWithOpenAlerts(classes: readonly string[]): Set<string> {
    const rows = this.sql.rows<[string, string]>(`SELECT DISTINCT d.site, d.mac FROM alerts a JOIN devices d ON d.id = a.device_id
      WHERE d.mac IS NOT NULL AND a.status IN ('open', 'acknowledged') AND a.class IN (${classes.map(() => "?").join(", ")})`, ...classes);
    return new Set(rows.map(([site, mac]) => `${site} ${mac}`));
  }

  /** Devices whose MAC or one of whose addresses is `macOrIp`. */
  findDevices(macOrIp: string): StoredDevice[] {
    const mac = parseMac(macOrIp);
    const needle = mac !== undefined ? macToString(mac) : macOrIp.toLowerCase();
    // The matching rows only, not the inventory: a device page is read once a click.
    return this.withDetails(this.sql.rows<DeviceTuple>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id IN (SELECT id FROM devices WHERE mac = ? OR key = ?
      UNION SELECT device_id FROM device_addresses WHERE ip = ?) ORDER BY site, key`, needle, `ip:${needle}`, needle));
  }

  /**
   * The devices of `site` that had any of these addresses (or are known by one, `ip:` keys),
   * a few hundred addresses to a query: the peers of a device's flows, named in one pass.
   */
  devicesAtAddresses(site: string, ips: readonly string[]): StoredDevice[] {
    const found = new Map<number, StoredDevice>();
    for (let i = 0; i < ips.length; i += ADDRESS_BATCH) {
      const batch = ips.slice(i, i + ADDRESS_BATCH);
      const marks = batch.map(() => "?").join(",");
      for (const d of this.withDetails(this.sql.rows<DeviceTuple>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE site = ? AND id IN (SELECT device_id FROM device_addresses WHERE ip IN (${marks})
          UNION SELECT id FROM devices WHERE site = ? AND key IN (${marks}))`, site, ...batch, site, ...batch.map((ip) => `ip:${ip}`)))) found.set(d.id, d);
    }
    return [...found.values()];
  }

  /**
   * The stored flows that touch any of `hosts` (a MAC or address at either end), a chunk at a
   * time, chunks in order of their newest flow (newest first), only chunks overlapping
   * [fromUs, untilUs]. A chunk whose stored hosts (flow_chunk_hosts, store/flow-chunk.ts
   * `chunkHosts`) hold none of them is skipped unread; the others are filtered on their raw
   * address columns before any flow is decoded (`hostFilter`): a device page reads the flows
   * of one device out of millions without reading the millions. A caller that has what
   * it needs stops early; the chunk's newest time says whether any later chunk could matter.
   */
  *flowChunksTouching(hosts: readonly string[], o: { site?: string; fromUs?: number; untilUs?: number } = {}): Generator<{ lastUs: number; flows: StoredFlow[] }> {
    if (hosts.length === 0) return;
    const filter = hostFilter(hosts);
    const keys = hosts.map(hostKey);
    const where = [...(o.site === undefined ? [] : ["c.site = ?"]), ...(o.fromUs === undefined ? [] : ["c.last_us >= ?"]), ...(o.untilUs === undefined ? [] : ["c.first_us <= ?"])];
    const spans = this.sql.rows<[number, number, number, unknown]>(`SELECT c.id, c.first_id, c.last_us, h.hosts FROM flow_chunks c LEFT JOIN flow_chunk_hosts h ON h.first_id = c.first_id
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY c.last_us DESC, c.id DESC`, ...[o.site, o.fromUs, o.untilUs].filter((v) => v !== undefined));
    for (const [id, firstId, lastUs, chunkHostKeys] of spans) {
      // A chunk whose hosts are known and hold none of these is not read at all (older chunks have none: read).
      if (chunkHostKeys instanceof Uint8Array && !chunkHasAny(chunkHostKeys, keys)) continue;
      const found = this.decodeChunk(id, this.sql.column<unknown>(`SELECT data FROM flow_chunks WHERE id = ?`, id)[0], (data) => decodeFlowChunk(data, filter));
      if (found === undefined) continue;
      if (found.flows.length === 0) continue;
      const flows = found.flows as StoredFlow[];
      for (let i = 0; i < flows.length; i++) flows[i].id = firstId + found.positions[i];
      yield { lastUs, flows };
    }
  }

  /** A stored chunk's data decoded; undefined (with a warning, counted) when it cannot be. */
  private decodeChunk<T>(id: number, data: unknown, decode: (data: Uint8Array) => T): T | undefined {
    try {
      if (!(data instanceof Uint8Array)) throw new FlowChunkError(`flow chunk data is ${typeof data}, not a BLOB`);
      return decode(data);
    } catch (e) {
      if (!(e instanceof FlowChunkError)) throw e;
      this.damagedFlowChunks++;
      process.emitWarning(`flow chunk ${id} skipped: ${e.message}`, "CordonStoreWarning");
      return undefined;
    }
  }

  /** Stored flows in the order stored (by id), of one site or of all, from flow id `fromId` on. */
  *eachFlow(site?: string, fromId = 1): Generator<StoredFlow> {
    for (const chunk of this.flowChunks(site, fromId)) for (const f of chunk) if (f.id >= fromId) yield f;
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
    return this.sql.transaction(() => {
      const newest = this.sql.column<number | null>(`SELECT MAX(version) FROM policies WHERE name = ?`, p.name)[0];
      const version = (newest ?? 0) + 1;
      const id = this.sql.column<number>(`INSERT INTO policies (name, site, version, status, body) VALUES (?, ?, ?, 'proposed', ?) RETURNING id`,
        p.name, p.site, version, p.body(version))[0];
      this.sql.run(`INSERT INTO policy_events (policy_id, action, actor, at, note) VALUES (?, 'proposed', ?, ?, ?)`, id, p.actor, p.at, p.note ?? null);
      return { id, version };
    });
  }

  policy(id: number): StoredPolicy | undefined {
    const r = this.sql.get<PolicyRow>(`SELECT * FROM policies WHERE id = ?`, id);
    return r ? this.policyFromRow(r) : undefined;
  }

  /** Every stored policy version, newest first. */
  /** Every site the store knows: of a device, an alert or a policy. */
  sites(): string[] {
    return this.sql.column<string>(`SELECT site FROM devices UNION SELECT site FROM alerts UNION SELECT site FROM policies ORDER BY 1`);
  }

  policies(): StoredPolicy[] {
    return this.sql.all<PolicyRow>(`SELECT * FROM policies ORDER BY id DESC`).map((r) => this.policyFromRow(r));
  }

  /**
   * Moves a policy version to a new status and records who did it. Enforcing a version
   * supersedes the version of the same name that was enforced before, in the same transaction.
   */
  setPolicyStatus(id: number, status: PolicyStatus, e: { actor: string; at: string; note?: string }): void {
    this.sql.transaction(() => {
      const p = this.sql.get<{ name: string }>(`SELECT name FROM policies WHERE id = ?`, id);
      if (!p) throw new Error(`no policy ${id}`);
      const event = (policyId: number, action: string, note: string | null): void => {
        this.sql.run(`INSERT INTO policy_events (policy_id, action, actor, at, note) VALUES (?, ?, ?, ?, ?)`, policyId, action, e.actor, e.at, note);
      };
      if (status === "enforced") {
        for (const b of this.sql.column<number>(`SELECT id FROM policies WHERE name = ? AND status = 'enforced' AND id != ?`, p.name, id)) {
          this.sql.run(`UPDATE policies SET status = 'superseded' WHERE id = ?`, b);
          event(b, "superseded", `by policy ${id}`);
        }
      }
      this.sql.run(`UPDATE policies SET status = ? WHERE id = ?`, status, id);
      event(id, status, e.note ?? null);
    });
  }

  private policyFromRow(r: PolicyRow): StoredPolicy {
    const events = this.sql.all<{ action: string; actor: string; at: string; note: string | null }>(`SELECT action, actor, at, note FROM policy_events WHERE policy_id = ? ORDER BY id`, r.id)
      .map((x) => ({ action: x.action, actor: x.actor, at: x.at, note: x.note ?? undefined }));
    return { id: r.id, name: r.name, site: r.site, version: r.version, status: r.status as PolicyStatus, body: r.body, events };
  }

  /** Keeps imported MUD files by URL, all or none (a newer import of the same URL replaces it). */
  saveMudProfiles(list: readonly { url: string; body: string; source: string; at: string }[]): void {
    this.sql.transaction(() => {
      for (const m of list) {
        this.sql.run(`INSERT INTO mud_profiles (url, body, source, imported_at) VALUES (?, ?, ?, ?)
          ON CONFLICT (url) DO UPDATE SET body = excluded.body, source = excluded.source, imported_at = excluded.imported_at`, m.url, m.body, m.source, m.at);
      }
    });
  }

  mudProfiles(): { url: string; body: string; source: string; importedAt: string }[] {
    return this.sql.all<{ url: string; body: string; source: string; imported_at: string }>(`SELECT * FROM mud_profiles ORDER BY url`)
      .map((r) => ({ url: r.url, body: r.body, source: r.source, importedAt: r.imported_at }));
  }

  /**
   * Keeps imported advisories by id, all or none. A newer release of an advisory replaces the
   * kept one; an older release imported later does not.
   */
  saveAdvisories(list: readonly { advisory: Advisory; source: string; schemaErrors: number; at: string }[]): number {
    let changed = 0;
    this.sql.transaction(() => {
      for (const { advisory: a, source, schemaErrors, at } of list) {
        changed += this.sql.run(`INSERT INTO advisories (id, format, title, released, body, source, schema_errors, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (id) DO UPDATE SET format = excluded.format, title = excluded.title, released = excluded.released, body = excluded.body,
            source = excluded.source, schema_errors = excluded.schema_errors, imported_at = excluded.imported_at
          WHERE excluded.released >= advisories.released`, a.id, a.format, a.title, a.released, JSON.stringify(a), source, schemaErrors, at);
      }
    });
    return changed;
  }

  advisories(): Advisory[] {
    return this.sql.column<string>(`SELECT body FROM advisories ORDER BY id`).map((b) => JSON.parse(b) as Advisory);
  }

  advisoryCounts(): { format: string; count: number }[] {
    return this.sql.all<{ format: string; count: number | string }>(`SELECT format, COUNT(*) AS count FROM advisories GROUP BY format ORDER BY format`)
      .map((r) => ({ format: r.format, count: Number(r.count) }));
  }

  /** Replaces the KEV catalogue with the one given (the catalogue is published whole). */
  saveKev(entries: readonly KevEntry[], at: string): void {
    this.sql.transaction(() => {
      this.sql.run(`DELETE FROM kev`);
      this.sql.insertMany("kev", ["cve", "vendor", "product", "name", "date_added", "due_date", "ransomware", "imported_at"],
        entries.map((k) => [k.cve, k.vendor, k.product, k.name, k.dateAdded, k.dueDate ?? null, k.ransomware ? 1 : 0, at]), "ON CONFLICT (cve) DO NOTHING");
    });
  }

  kevEntries(): KevEntry[] {
    return this.sql.all<{ cve: string; vendor: string; product: string; name: string; date_added: string; due_date: string | null; ransomware: number }>(`SELECT * FROM kev ORDER BY cve`)
      .map((r) => ({ cve: r.cve, vendor: r.vendor, product: r.product, name: r.name, dateAdded: r.date_added, dueDate: r.due_date ?? undefined, ransomware: Number(r.ransomware) === 1 }));
  }

  /** Appends an end-of-life decision; the newest for a site and target is the one in force. */
  saveEolDecision(d: Omit<StoredEolDecision, "id">): number {
    return Number(this.sql.column<number>(`INSERT INTO eol_decisions (site, target, decision, owner, rationale, review_by, replace_by, vendor_support, decided_by, decided_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, d.site, d.target, d.decision, d.owner, d.rationale, d.reviewBy, d.replaceBy ?? null, d.vendorSupport ?? null, d.decidedBy, d.decidedAt)[0]);
  }

  /** Every end-of-life decision, oldest first (the history); `inForce` keeps the newest per site and target. */
  eolDecisions(o: { inForce?: boolean; site?: string } = {}): StoredEolDecision[] {
    const where = o.site === undefined ? "" : "WHERE site = ?";
    const rows = this.sql.all<Record<string, string | number | null>>(`SELECT * FROM eol_decisions ${where} ORDER BY id`, ...(o.site === undefined ? [] : [o.site]));
    const all = rows.map((r) => ({
      id: Number(r.id), site: r.site as string, target: r.target as string, decision: r.decision as string, owner: r.owner as string, rationale: r.rationale as string,
      reviewBy: r.review_by as string, decidedBy: r.decided_by as string, decidedAt: r.decided_at as string,
      ...(r.replace_by !== null ? { replaceBy: r.replace_by as string } : {}), ...(r.vendor_support !== null ? { vendorSupport: r.vendor_support as string } : {}),
    }));
    if (!o.inForce) return all;
    const newest = new Map<string, StoredEolDecision>();
    for (const d of all) newest.set(`${d.site}\t${d.target}`, d);
    return [...newest.values()];
  }

  /** Assigns a MUD URL to a device by hand (for devices that announce none, or announce a wrong one). */
  assignMud(a: { site: string; deviceKey: string; url: string; by: string; at: string }): void {
    this.sql.run(`INSERT INTO mud_assignments (site, device_key, url, set_by, set_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (site, device_key) DO UPDATE SET url = excluded.url, set_by = excluded.set_by, set_at = excluded.set_at`,
      a.site, a.deviceKey, a.url, a.by, a.at);
  }

  /** Device key → assigned MUD URL, for one site. */
  mudAssignments(site: string): Map<string, string> {
    return new Map(this.sql.rows<[string, string]>(`SELECT device_key, url FROM mud_assignments WHERE site = ?`, site));
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
        if (g === undefined) groups.set(key, startGroup(f, f.dstPort, 1, "grouped"));
        else addToGroup(g, f, 1);
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
    const sql = this.sql;
    sql.transaction(() => {
      sql.insertMany("alerts", ["id", "site", "detector", "class", "severity", "technique", "device_id", "source", "target", "title", "first_us", "last_us", "count", "evidence", "status"],
        alerts.map((a) => [a.id, a.site, a.detector, a.class, a.severity, a.technique, a.deviceId ?? null, a.source ?? null, a.target ?? null, a.title,
          a.firstUs, a.lastUs, a.count, JSON.stringify(a.evidence), a.status]),
        `ON CONFLICT (id) DO UPDATE SET last_us = ${greatest(sql, "alerts.last_us", "excluded.last_us")}, count = ${greatest(sql, "alerts.count", "excluded.count")},
          evidence = excluded.evidence, severity = excluded.severity, title = excluded.title, device_id = COALESCE(alerts.device_id, excluded.device_id)`);
    });
  }

  /** The ids of every stored alert. */
  alertIds(): Set<string> {
    return new Set(this.sql.column<string>(`SELECT id FROM alerts`));
  }

  /** Stored alerts, oldest first, with the MAC (or key) of the device each is bound to. */
  alerts(): StoredAlert[] {
    return this.alertRows("", []);
  }

  /** Each alert's severity, status and first sighting (of one site, or of all): what counting them needs. */
  alertTally(site?: string): { severity: string; status: string; firstUs: number }[] {
    return this.sql.rows<[string, string, number]>(`SELECT severity, status, first_us FROM alerts ${site === undefined ? "" : "WHERE site = ?"}`, ...(site === undefined ? [] : [site]))
      .map(([severity, status, firstUs]) => ({ severity, status, firstUs }));
  }

  /**
   * The devices (of one site, or of all) counted by their effective category (a person's,
   * else the newest verdict's, else unknown) and a person's criticality, and, for an unknown
   * one without a person's criticality, whether it has a fact of one of `protocols`
   * ("PROTOCOL.…"): what a site's overview counts, without reading each device.
   */
  deviceTally(site: string | undefined, protocols: readonly string[]): { category: string; criticality: string | null; speaks: boolean; count: number }[] {
    const speaks = protocols.length === 0 ? "0" : `CASE WHEN EXISTS (SELECT 1 FROM facts f WHERE f.device_id = e.id AND (${protocols.map(() => "f.kind LIKE ?").join(" OR ")})) THEN 1 ELSE 0 END`;
    // The newest verdict's category by the (device_id, id) index, a seek a device: about half the time of joining the newest ids.
    return this.sql.rows<[string, string | null, number, number]>(`SELECT category, criticality, speaks, count(*) FROM (
        SELECT category, criticality, CASE WHEN category = 'unknown' AND criticality IS NULL THEN ${speaks} ELSE 0 END AS speaks FROM (
          SELECT d.id AS id, coalesce(o.category, (SELECT v.category FROM verdicts v WHERE v.device_id = d.id ORDER BY v.id DESC LIMIT 1), 'unknown') AS category, o.criticality AS criticality
          FROM devices d LEFT JOIN overrides o ON o.device_id = d.id
          ${site === undefined ? "" : "WHERE d.site = ?"}) e) c
      GROUP BY category, criticality, speaks`, ...protocols.map((p) => `${p}.%`), ...(site === undefined ? [] : [site]))
      .map(([category, criticality, speaksOt, count]) => ({ category, criticality, speaks: Number(speaksOt) === 1, count: Number(count) }));
  }

  /**
   * A page of alerts in first-seen order, filtered in SQL (a queue of thousands is not read
   * whole for each page): of a site, with one of `statuses`, of a class, with one of
   * `severities`, of a device (its MAC or key, or an address as source or target), after a
   * (first seen, id) position.
   */
  alertPage(q: AlertPageQuery): StoredAlert[] {
    const { where, args } = this.alertWhere(q);
    return this.alertRows(where, args);
  }

  /** The same page without the evidence: what a queue of thousands lists (the evidence is most of an alert's bytes). */
  alertSummaries(q: AlertPageQuery): AlertSummary[] {
    const { where, args } = this.alertWhere(q);
    return this.sql.all<Omit<AlertRow, "evidence">>(`SELECT ${ALERT_SUMMARY_COLUMNS}, d.mac AS device_mac, d.key AS device_key FROM alerts a LEFT JOIN devices d ON d.id = a.device_id ${where}`, ...args).map(alertSummaryOf);
  }

  /** The alerts whose id starts with `prefix` (at most `limit`): how a person names one. */
  alertsByPrefix(prefix: string, limit: number): StoredAlert[] {
    if (!/^[0-9a-z-]{1,64}$/.test(prefix)) throw new Error(`"${prefix.slice(0, 64)}" is not an alert id prefix`);
    if (!(Number.isInteger(limit) && limit > 0)) throw new Error(`alert prefix limit ${limit} is not a positive whole number`);
    // A range on the key, so the index answers it: ids are [0-9a-z-], all below "~".
    return this.alertRows(`WHERE a.id >= ? AND a.id < ? ORDER BY a.id LIMIT ${limit}`, [prefix, `${prefix}~`]);
  }

  private alertWhere(q: AlertPageQuery): { where: string; args: SqlValue[] } {
    const where: string[] = [];
    const args: SqlValue[] = [];
    const inList = (column: string, values: readonly string[]): void => {
      where.push(`${column} IN (${values.map(() => "?").join(",") || "NULL"})`);
      args.push(...values);
    };
    if (q.site !== undefined) {
      where.push("a.site = ?");
      args.push(q.site);
    }
    if (q.statuses !== undefined) inList("a.status", q.statuses);
    if (q.class !== undefined) {
      where.push("a.class = ?");
      args.push(q.class);
    }
    if (q.severities !== undefined) inList("a.severity", q.severities);
    if (q.device !== undefined) {
      where.push("(COALESCE(d.mac, d.key) = ? OR a.source = ? OR a.target = ?)");
      args.push(q.device, q.device, q.device);
    }
    if (q.after !== undefined) {
      where.push("(a.first_us > ? OR (a.first_us = ? AND a.id > ?))");
      args.push(q.after[0], q.after[0], q.after[1]);
    }
    if (!(Number.isInteger(q.limit) && q.limit > 0)) throw new Error(`alert page limit ${q.limit} is not a positive whole number`);
    return { where: `${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY a.first_us, a.id LIMIT ${q.limit}`, args };
  }

  private alertRows(tail: string, args: SqlValue[]): StoredAlert[] {
    const rows = this.sql.all<AlertRow>(`SELECT a.*, d.mac AS device_mac, d.key AS device_key FROM alerts a LEFT JOIN devices d ON d.id = a.device_id ${tail || "ORDER BY a.first_us, a.id"}`, ...args);
    return rows.map((r) => ({ ...alertSummaryOf(r), evidence: JSON.parse(r.evidence) as Alert["evidence"] }));
  }


  /** Moves an alert along its life; false when there is no such alert. */
  setAlertStatus(id: string, status: Alert["status"], by: string, at: string, note?: string): boolean {
    return this.sql.run(`UPDATE alerts SET status = ?, status_by = ?, status_at = ?, status_note = ? WHERE id = ?`, status, by, at, note ?? null, id) > 0;
  }

  /** Declares a maintenance window (times as ISO text). */
  addMaintenanceWindow(w: Omit<StoredMaintenanceWindow, "id">): number {
    return this.sql.column<number>(`INSERT INTO maintenance_windows (site, target, starts_at, ends_at, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      w.site, w.target ?? null, w.startsAt, w.endsAt, w.reason, w.createdBy, w.createdAt)[0];
  }

  maintenanceWindows(): StoredMaintenanceWindow[] {
    return this.sql.all<Record<string, string | number | null>>(`SELECT * FROM maintenance_windows ORDER BY starts_at, id`).map((r) => ({
      id: r.id as number, site: r.site as string, target: r.target === null ? undefined : (r.target as string), startsAt: r.starts_at as string, endsAt: r.ends_at as string,
      reason: r.reason as string, createdBy: r.created_by as string, createdAt: r.created_at as string,
    }));
  }

  addSuppression(s: Omit<Suppression, "id">): number {
    return this.sql.column<number>(`INSERT INTO suppressions (device, detector, peer, reason, expires_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      s.device ?? null, s.detector ?? null, s.peer ?? null, s.reason, s.expiresAt ?? null, s.createdBy, s.createdAt)[0];
  }

  suppressions(): Suppression[] {
    return this.sql.all<{ id: number; device: string | null; detector: string | null; peer: string | null; reason: string; expires_at: string | null; created_by: string; created_at: string }>(`SELECT * FROM suppressions ORDER BY id`)
      .map((r) => ({ id: r.id, device: r.device ?? undefined, detector: r.detector ?? undefined, peer: r.peer ?? undefined, reason: r.reason, expiresAt: r.expires_at ?? undefined, createdBy: r.created_by, createdAt: r.created_at }));
  }

  removeSuppression(id: number): boolean {
    return this.sql.run(`DELETE FROM suppressions WHERE id = ?`, id) > 0;
  }

  sources(): SourceSummary[] {
    return this.sql.all<{
      name: string; site: string; kind: string; format: string | null; first_us: number | null; last_us: number | null;
      packets: number; bytes: number; flows: number; errors: string; fatal: string | null;
    }>(`SELECT * FROM sources ORDER BY id`).map((r) => ({
      name: r.name, site: r.site, kind: r.kind, format: r.format ?? undefined, firstUs: r.first_us ?? undefined,
      lastUs: r.last_us ?? undefined, packets: r.packets, bytes: r.bytes, flows: r.flows,
      errors: JSON.parse(r.errors) as Record<string, number>, fatal: r.fatal ?? undefined,
    }));
  }
}

/**
 * The rows of every change's parts (`part`), one at a time in one reused array (`row` fills it
 * and is told the change's index): a first run writes every fact at once, and an array per row
 * was a measurable part of its garbage.
 */
function* each<C, P>(changes: readonly C[], part: (c: C) => readonly P[], row: (out: SqlValue[], p: P, i: number) => void): Generator<readonly SqlValue[]> {
  const out: SqlValue[] = [];
  for (let i = 0; i < changes.length; i++) {
    for (const p of part(changes[i])) {
      row(out, p, i);
      yield out;
    }
  }
}


function push<T>(m: Map<number, T[]>, k: number, v: T): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
