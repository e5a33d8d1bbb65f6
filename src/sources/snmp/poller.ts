import snmp from "net-snmp";
import type { Observation, ObservationKind } from "../../model/observation.js";
import { macToString } from "../../net/addr.js";
import { printable } from "../../model/values.js";

/**
 * Active SNMP, where a person allowed it: one target at a time, one request in flight, at most
 * `ratePerSecond` requests a second, a bounded number of rows. Reads the system group, the
 * ENTITY-MIB physical table (model, firmware and software revisions, serial, maker), the
 * bridge and Q-bridge forwarding tables (which MAC is behind which port, on which VLAN) and
 * LLDP-MIB's remote table (who is plugged into which port). Everything comes back as
 * observations with the target as their source, like any other sensor's.
 */

export type SnmpCredential =
  | { version: "v2c"; community: string }
  | {
    version: "v3";
    user: string;
    authProtocol: "md5" | "sha" | "sha224" | "sha256" | "sha384" | "sha512";
    authKey: string;
    privProtocol: "des" | "aes" | "aes256b" | "aes256r";
    privKey: string;
  };

export interface PollLimits {
  /** Requests a second to one target (default 10). */
  ratePerSecond: number;
  timeoutMs: number;
  retries: number;
  /** Rows read from one table of one target, at most. */
  maxRows: number;
  /** UDP port (161; tests use their own). */
  port: number;
}

export const DEFAULT_LIMITS: PollLimits = { ratePerSecond: 10, timeoutMs: 2000, retries: 1, maxRows: 10_000, port: 161 };

export interface PollResult {
  ip: string;
  observations: Observation[];
  requests: number;
  /** Why the target could not be read (timeout, wrong credentials); what was read before is kept. */
  error?: string;
}

const SYS_DESCR = "1.3.6.1.2.1.1.1.0";
const SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0";
const SYS_NAME = "1.3.6.1.2.1.1.5.0";
const ENT_PHYSICAL = "1.3.6.1.2.1.47.1.1.1.1";
/** entPhysicalTable columns and the observation each gives. */
const ENTITY_COLUMNS: [number, ObservationKind][] = [
  [13, "snmp.entity_model"], [9, "snmp.entity_firmware"], [10, "snmp.entity_software"], [11, "snmp.entity_serial"], [12, "snmp.entity_maker"], [8, "snmp.entity_hardware"],
];
const DOT1D_BASE_PORT_IFINDEX = "1.3.6.1.2.1.17.1.4.1.2";
const DOT1D_TP_FDB_PORT = "1.3.6.1.2.1.17.4.3.1.2";
const DOT1D_TP_FDB_STATUS = "1.3.6.1.2.1.17.4.3.1.3";
const DOT1Q_TP_FDB_PORT = "1.3.6.1.2.1.17.7.1.2.2.1.2";
const IF_NAME = "1.3.6.1.2.1.31.1.1.1.1";
const LLDP_REM = "1.0.8802.1.1.2.1.4.1.1";
const LLDP_CHASSIS_SUBTYPE = `${LLDP_REM}.4`;
const LLDP_CHASSIS_ID = `${LLDP_REM}.5`;
const LLDP_PORT_ID = `${LLDP_REM}.7`;
const LLDP_SYS_NAME = `${LLDP_REM}.9`;
const LLDP_SYS_DESC = `${LLDP_REM}.10`;
/** dot1dTpFdbStatus: the switch's own addresses are not devices behind a port. */
const FDB_SELF = 4;
const MAX_TEXT = 256;

interface Varbind {
  oid: string;
  type: number;
  value: unknown;
}

/** Text of an OCTET STRING as written, or its bytes in hex when they are not text. */
function text(v: unknown): string | undefined {
  if (Buffer.isBuffer(v)) {
    const s = v.toString("utf8");
    if (/^[\x20-\x7e\u00a0-\uffff\t\r\n]*$/.test(s) && !s.includes("\ufffd")) return printable(s).replace(/\s+/g, " ").trim().slice(0, MAX_TEXT) || undefined;
    return v.length ? v.toString("hex").slice(0, MAX_TEXT) : undefined;
  }
  if (typeof v === "number" || typeof v === "string") return printable(String(v)).trim().slice(0, MAX_TEXT) || undefined;
  return undefined;
}

/** The rest of an OID after `column.`, as numbers. */
function index(oid: string, column: string): number[] {
  return oid.slice(column.length + 1).split(".").map(Number);
}

/** A MAC from the last six numbers of an index. */
function macOfIndex(parts: number[]): string | undefined {
  const six = parts.slice(-6);
  if (six.length !== 6 || six.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return undefined;
  return macToString(six.reduce((m, n) => m * 256 + n, 0));
}

class Target {
  private session: snmp.Session;
  private lastSent = -Infinity;
  requests = 0;

  constructor(readonly ip: string, credential: SnmpCredential, private readonly limits: PollLimits) {
    const options = { port: limits.port, timeout: limits.timeoutMs, retries: limits.retries, transport: ip.includes(":") ? "udp6" : "udp4" } as const;
    if (credential.version === "v2c") {
      this.session = snmp.createSession(ip, credential.community, { ...options, version: snmp.Version2c });
    } else {
      const auth = { md5: snmp.AuthProtocols.md5, sha: snmp.AuthProtocols.sha, sha224: snmp.AuthProtocols.sha224, sha256: snmp.AuthProtocols.sha256, sha384: snmp.AuthProtocols.sha384, sha512: snmp.AuthProtocols.sha512 }[credential.authProtocol];
      const priv = { des: snmp.PrivProtocols.des, aes: snmp.PrivProtocols.aes, aes256b: snmp.PrivProtocols.aes256b, aes256r: snmp.PrivProtocols.aes256r }[credential.privProtocol];
      this.session = snmp.createV3Session(ip, {
        name: credential.user, level: snmp.SecurityLevel.authPriv, authProtocol: auth, authKey: credential.authKey, privProtocol: priv, privKey: credential.privKey,
      }, { ...options, version: snmp.Version3 });
    }
    this.session.on("error", () => undefined);
  }

  /**
   * Waits until the next request keeps to the rate, then sends it; one at a time. Requests are
   * spaced 2% wider than the rate needs, so that timer and scheduling jitter never puts one
   * more than `ratePerSecond` into any second on the wire.
   */
  private async paced<T>(send: (done: (err: Error | null, v?: T) => void) => void): Promise<T> {
    const gap = (1000 / this.limits.ratePerSecond) * 1.02;
    for (let wait = this.lastSent + gap - performance.now(); wait > 0; wait = this.lastSent + gap - performance.now()) {
      await new Promise((r) => setTimeout(r, Math.ceil(wait)));
    }
    this.lastSent = performance.now();
    this.requests++;
    return new Promise<T>((resolve, reject) => send((err, v) => (err ? reject(err) : resolve(v as T))));
  }

  get(oids: string[]): Promise<Varbind[]> {
    return this.paced<Varbind[]>((done) => this.session.get(oids, (e, vbs) => done(e, vbs as Varbind[] | undefined)));
  }

  /** Every row of one column, by GETBULK, up to `maxRows`. */
  async column(column: string): Promise<Varbind[]> {
    const rows: Varbind[] = [];
    let from = column;
    while (rows.length < this.limits.maxRows) {
      const vbs = await this.paced<Varbind[][]>((done) => this.session.getBulk([from], 0, 20, (e, v) => done(e, v as unknown as Varbind[][] | undefined)));
      const batch = vbs[0] ?? [];
      let more = batch.length > 0;
      for (const vb of batch) {
        if (snmp.isVarbindError(vb as never) || !vb.oid.startsWith(`${column}.`)) {
          more = false;
          break;
        }
        rows.push(vb);
      }
      if (!more) break;
      from = batch[batch.length - 1]!.oid;
    }
    return rows;
  }

  close(): void {
    this.session.close();
  }
}

/** Reads one target: system group, entity table, forwarding tables, LLDP neighbours. */
export async function pollTarget(ip: string, site: string, credential: SnmpCredential, limits: PollLimits = DEFAULT_LIMITS, now = Date.now): Promise<PollResult> {
  const t = new Target(ip, credential, limits);
  const observations: Observation[] = [];
  const source = `snmp:${ip}`;
  const about = (kind: ObservationKind, value: string | undefined, mac?: string): void => {
    if (value) observations.push({ kind, value, site, source, tsUs: now() * 1000, ...(mac ? { mac } : { ip }) });
  };
  let error: string | undefined;
  try {
    const sys = await t.get([SYS_DESCR, SYS_OBJECT_ID, SYS_NAME]);
    const [descr, objectId, name] = sys.map((vb) => (snmp.isVarbindError(vb as never) ? undefined : text(vb.value)));
    about("snmp.sys_descr", descr);
    about("snmp.sys_object_id", objectId);
    about("snmp.sys_name", name);
    const switchName = name ?? ip;
    // The entity table: the first entity that names a model or a revision is the device itself.
    const entity = new Map<string, Map<ObservationKind, string>>();
    for (const [col, kind] of ENTITY_COLUMNS) {
      for (const vb of await t.column(`${ENT_PHYSICAL}.${col}`)) {
        const v = text(vb.value);
        const row = vb.oid.slice(`${ENT_PHYSICAL}.${col}.`.length);
        if (v) entity.set(row, (entity.get(row) ?? new Map()).set(kind, v));
      }
    }
    const first = [...entity.entries()].sort((a, b) => Number(a[0]) - Number(b[0])).find(([, m]) => m.has("snmp.entity_model") || m.has("snmp.entity_firmware") || m.has("snmp.entity_software"));
    if (first) for (const [kind, v] of first[1]) about(kind, v);
    // Forwarding tables: bridge port -> ifIndex -> ifName.
    const ifIndexOf = new Map((await t.column(DOT1D_BASE_PORT_IFINDEX)).map((vb) => [index(vb.oid, DOT1D_BASE_PORT_IFINDEX)[0]!, Number(vb.value)]));
    const fdb = await t.column(DOT1D_TP_FDB_PORT);
    const qfdb = await t.column(DOT1Q_TP_FDB_PORT);
    const ifNames = fdb.length || qfdb.length ? new Map((await t.column(IF_NAME)).map((vb) => [index(vb.oid, IF_NAME)[0]!, text(vb.value)])) : new Map<number, string | undefined>();
    const status = fdb.length ? new Map((await t.column(DOT1D_TP_FDB_STATUS)).map((vb) => [vb.oid.slice(DOT1D_TP_FDB_STATUS.length), Number(vb.value)])) : new Map<string, number>();
    const portName = (port: number): string => ifNames.get(ifIndexOf.get(port) ?? port) ?? `port ${port}`;
    const placed = new Set<string>();
    for (const vb of qfdb) {
      const parts = index(vb.oid, DOT1Q_TP_FDB_PORT);
      const mac = macOfIndex(parts);
      const port = Number(vb.value);
      if (!mac || !Number.isInteger(port) || port <= 0) continue;
      placed.add(mac);
      about("switch.port", `${switchName} ${portName(port)} vlan ${parts[0]}`, mac);
    }
    for (const vb of fdb) {
      const mac = macOfIndex(index(vb.oid, DOT1D_TP_FDB_PORT));
      const port = Number(vb.value);
      if (!mac || placed.has(mac) || !Number.isInteger(port) || port <= 0 || status.get(vb.oid.slice(DOT1D_TP_FDB_PORT.length)) === FDB_SELF) continue;
      about("switch.port", `${switchName} ${portName(port)}`, mac);
    }
    // LLDP neighbours: index timeMark.localPort.remIndex.
    const lldp = new Map<string, Map<string, unknown>>();
    for (const col of [LLDP_CHASSIS_SUBTYPE, LLDP_CHASSIS_ID, LLDP_PORT_ID, LLDP_SYS_NAME, LLDP_SYS_DESC]) {
      for (const vb of await t.column(col)) {
        const key = vb.oid.slice(col.length + 1);
        lldp.set(key, (lldp.get(key) ?? new Map()).set(col, vb.value));
      }
    }
    for (const [key, row] of lldp) {
      const localPort = Number(key.split(".")[1]);
      const chassis = row.get(LLDP_CHASSIS_ID);
      const neighbour = `${portName(localPort)}: ${text(row.get(LLDP_SYS_NAME)) ?? "?"} port ${text(row.get(LLDP_PORT_ID)) ?? "?"}`;
      about("snmp.lldp_neighbor", neighbour);
      // Chassis id subtype 4 is a MAC: the neighbour is a device of its own, placed at this port.
      if (Number(row.get(LLDP_CHASSIS_SUBTYPE)) === 4 && Buffer.isBuffer(chassis) && chassis.length === 6) {
        const mac = macToString(chassis.readUIntBE(0, 6));
        about("switch.port", `${switchName} ${portName(localPort)}`, mac);
        about("lldp.system_name", text(row.get(LLDP_SYS_NAME)), mac);
        about("lldp.system_description", text(row.get(LLDP_SYS_DESC)), mac);
      }
    }
  } catch (e) {
    error = (e as Error).message.slice(0, 200);
  } finally {
    t.close();
  }
  return { ip, observations, requests: t.requests, error };
}
