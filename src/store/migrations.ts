import type Database from "better-sqlite3";
import { FLOWS_PER_CHUNK, encodeFlowChunk, flowSpan } from "./flow-chunk.js";
import type { FlowRecord } from "../model/flow-record.js";
import { POSTGRES_MIGRATIONS } from "./migrations-postgres.js";
import type { Sql } from "./sql.js";
import { SqliteSql } from "./sqlite-sql.js";

/** A schema step: SQL, or code for what SQL cannot do (re-encoding rows). */
export type Migration = string | ((db: Database.Database) => void);

/**
 * SQLite's versioned schema. Each entry moves the database from version i to i + 1 (PRAGMA
 * user_version); entries are never edited once released, only appended.
 * Times are integer microseconds since the epoch, record time.
 */
export const MIGRATIONS: readonly Migration[] = [
  `
  CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    site TEXT NOT NULL,
    kind TEXT NOT NULL,
    format TEXT,
    first_us INTEGER,
    last_us INTEGER,
    packets INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    flows INTEGER NOT NULL DEFAULT 0,
    errors TEXT NOT NULL DEFAULT '{}',
    fatal TEXT
  );
  CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    key TEXT NOT NULL,
    mac TEXT,
    oui_vendor TEXT,
    local_mac INTEGER NOT NULL DEFAULT 0,
    router INTEGER NOT NULL DEFAULT 0,
    first_us INTEGER NOT NULL,
    last_us INTEGER NOT NULL,
    packets_out INTEGER NOT NULL DEFAULT 0,
    packets_in INTEGER NOT NULL DEFAULT 0,
    bytes_out INTEGER NOT NULL DEFAULT 0,
    bytes_in INTEGER NOT NULL DEFAULT 0,
    UNIQUE (site, key)
  );
  CREATE TABLE device_addresses (
    device_id INTEGER NOT NULL REFERENCES devices(id),
    ip TEXT NOT NULL,
    origin TEXT NOT NULL,
    first_us INTEGER NOT NULL,
    last_us INTEGER NOT NULL,
    source TEXT NOT NULL,
    packet INTEGER NOT NULL,
    PRIMARY KEY (device_id, ip)
  );
  CREATE INDEX device_addresses_ip ON device_addresses (ip);
  CREATE TABLE facts (
    device_id INTEGER NOT NULL REFERENCES devices(id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    first_us INTEGER NOT NULL,
    last_us INTEGER NOT NULL,
    count INTEGER NOT NULL,
    source TEXT NOT NULL,
    packet INTEGER NOT NULL,
    PRIMARY KEY (device_id, kind, value)
  );
  CREATE TABLE endpoints (
    site TEXT NOT NULL,
    ip TEXT NOT NULL,
    via_device_id INTEGER NOT NULL REFERENCES devices(id),
    first_us INTEGER NOT NULL,
    last_us INTEGER NOT NULL,
    PRIMARY KEY (site, ip, via_device_id)
  );
  CREATE TABLE flows (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    source TEXT NOT NULL,
    vlan INTEGER NOT NULL,
    proto INTEGER NOT NULL,
    src_mac TEXT,
    src_ip TEXT NOT NULL,
    src_port INTEGER NOT NULL,
    dst_mac TEXT,
    dst_ip TEXT NOT NULL,
    dst_port INTEGER NOT NULL,
    initiator_known INTEGER NOT NULL,
    packets_src INTEGER NOT NULL,
    bytes_src INTEGER NOT NULL,
    packets_dst INTEGER NOT NULL,
    bytes_dst INTEGER NOT NULL,
    first_us INTEGER NOT NULL,
    last_us INTEGER NOT NULL,
    tcp_flags_src INTEGER NOT NULL,
    tcp_flags_dst INTEGER NOT NULL,
    app_protocol TEXT,
    app_confidence TEXT,
    end_reason TEXT NOT NULL
  );
  CREATE TABLE verdicts (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices(id),
    category TEXT NOT NULL,
    vendor TEXT,
    model TEXT,
    firmware TEXT,
    confidence REAL NOT NULL,
    evidence TEXT NOT NULL,
    decided_us INTEGER NOT NULL
  );
  CREATE INDEX verdicts_device ON verdicts (device_id, id);
  CREATE TABLE overrides (
    device_id INTEGER PRIMARY KEY REFERENCES devices(id),
    category TEXT,
    criticality TEXT,
    reason TEXT,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE read_positions (
    source TEXT NOT NULL,
    path TEXT NOT NULL,
    inode INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    PRIMARY KEY (source, path)
  );
  `,
  `
  CREATE TABLE policies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    site TEXT NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (name, version)
  );
  CREATE TABLE policy_events (
    id INTEGER PRIMARY KEY,
    policy_id INTEGER NOT NULL REFERENCES policies(id),
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    note TEXT
  );
  CREATE TABLE mud_profiles (
    url TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    imported_at TEXT NOT NULL
  );
  CREATE TABLE mud_assignments (
    site TEXT NOT NULL,
    device_key TEXT NOT NULL,
    url TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL,
    PRIMARY KEY (site, device_key)
  );
  `,
  `
  CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    detector TEXT NOT NULL,
    class TEXT NOT NULL,
    severity TEXT NOT NULL,
    technique TEXT NOT NULL,
    device_id INTEGER REFERENCES devices(id),
    source TEXT,
    target TEXT,
    title TEXT NOT NULL,
    first_us INTEGER NOT NULL,
    last_us INTEGER NOT NULL,
    count INTEGER NOT NULL,
    evidence TEXT NOT NULL,
    status TEXT NOT NULL,
    status_by TEXT,
    status_at TEXT,
    status_note TEXT
  );
  CREATE INDEX alerts_time ON alerts (first_us);
  CREATE TABLE suppressions (
    id INTEGER PRIMARY KEY,
    device TEXT,
    detector TEXT,
    peer TEXT,
    reason TEXT NOT NULL,
    expires_at TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE nac_decisions (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    site TEXT NOT NULL,
    mac TEXT NOT NULL,
    nas TEXT NOT NULL,
    nas_port_id TEXT,
    state TEXT NOT NULL,
    accept INTEGER NOT NULL,
    vlan TEXT,
    profile TEXT,
    reason TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 1,
    last_at TEXT NOT NULL
  );
  CREATE INDEX nac_decisions_device ON nac_decisions (site, mac, id);
  CREATE TABLE nac_sessions (
    site TEXT NOT NULL,
    mac TEXT NOT NULL,
    nas TEXT NOT NULL,
    nas_ip TEXT NOT NULL,
    nas_port INTEGER,
    nas_port_id TEXT,
    calling_station_id TEXT,
    user_name TEXT,
    audit_session_id TEXT,
    acct_session_id TEXT,
    ip TEXT,
    status TEXT NOT NULL,
    last_at TEXT NOT NULL,
    PRIMARY KEY (site, mac)
  );
  CREATE TABLE quarantines (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    mac TEXT NOT NULL,
    since TEXT NOT NULL,
    set_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    response_id TEXT,
    released_at TEXT,
    released_by TEXT,
    release_note TEXT
  );
  CREATE INDEX quarantines_device ON quarantines (site, mac);
  CREATE TABLE responses (
    id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    mac TEXT NOT NULL,
    alert_id TEXT,
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    body TEXT NOT NULL
  );
  `,
  // Flows many to a row (store/flow-chunk.ts): rows of one site, ids first_id .. first_id +
  // count - 1 in the order stored, first and last seen of the chunk's flows for pruning.
  (db) => {
    db.exec(`CREATE TABLE flow_chunks (
      id INTEGER PRIMARY KEY,
      site TEXT NOT NULL,
      first_id INTEGER NOT NULL,
      count INTEGER NOT NULL,
      first_us INTEGER NOT NULL,
      last_us INTEGER NOT NULL,
      data BLOB NOT NULL
    );
    CREATE INDEX flow_chunks_site ON flow_chunks (site, first_us);`);
    const insert = db.prepare(`INSERT INTO flow_chunks (site, first_id, count, first_us, last_us, data) VALUES (?, ?, ?, ?, ?, ?)`);
    const page = db.prepare(`SELECT * FROM flows WHERE site = ? AND id > ? ORDER BY id LIMIT ${FLOWS_PER_CHUNK}`);
    for (const { site } of db.prepare(`SELECT DISTINCT site FROM flows`).all() as { site: string }[]) {
      for (let after = 0; ;) {
        const rows = page.all(site, after) as Record<string, string | number | null>[];
        if (rows.length === 0) break;
        // Ids of a chunk are consecutive; a site's rows between other sites' rows start a new chunk.
        for (let i = 0; i < rows.length;) {
          let j = i + 1;
          while (j < rows.length && rows[j].id === (rows[j - 1].id as number) + 1) j++;
          const flows = rows.slice(i, j).map(flowOfRow);
          const span = flowSpan(flows);
          insert.run(site, rows[i].id, flows.length, span.firstUs, span.lastUs, encodeFlowChunk(flows));
          i = j;
        }
        after = rows[rows.length - 1].id as number;
      }
    }
    db.exec(`DROP TABLE flows`);
  },
  // Who changed what (store/audit.ts): append-only, enforced by the database itself.
  `
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    principal TEXT NOT NULL,
    actor TEXT NOT NULL,
    via TEXT NOT NULL,
    peer TEXT,
    action TEXT NOT NULL,
    site TEXT,
    target TEXT,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
  );
  CREATE INDEX audit_at ON audit (at);
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `,
  // A capture read to its end is kept with its content fingerprint, so reading it again is noticed.
  `
  ALTER TABLE sources ADD COLUMN content_hash TEXT;
  ALTER TABLE sources ADD COLUMN read_at TEXT;
  CREATE INDEX sources_content ON sources (site, content_hash);
  `,
  // Group moves (nac/group-moves.ts): a device's group under a policy follows its verdict; each
  // move is kept with why, whether it waited for a person, who decided, and when it took effect.
  `
  CREATE TABLE nac_moves (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    site TEXT NOT NULL,
    mac TEXT NOT NULL,
    policy_id INTEGER NOT NULL,
    from_group TEXT,
    to_group TEXT NOT NULL,
    rights TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    enacted_at TEXT
  );
  CREATE INDEX nac_moves_device ON nac_moves (site, mac, policy_id, id);
  CREATE INDEX nac_moves_status ON nac_moves (status);
  `,
  // Maintenance windows a person declared (detect/ot-operation.ts): engineering work on OT
  // devices outside them is an alert whoever does it.
  `
  CREATE TABLE maintenance_windows (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    target TEXT,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
  // Devices are read a page at a time, each page with the count of endpoints behind its routers.
  `CREATE INDEX endpoints_via ON endpoints (via_device_id);`,
  // People and their API tokens (app/users.ts); the audit log names the role of whoever acted.
  `
  CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    disabled_at TEXT,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
  );
  CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT,
    last_used_at TEXT
  );
  CREATE TABLE login_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  ALTER TABLE audit ADD COLUMN role TEXT;
  `,
  // Each flow chunk's hosts (store/flow-chunk.ts chunkHosts), keyed by its first flow id: one
  // device's flows are read from the chunks that hold its hosts. Chunks stored before have none
  // and are read as before.
  `CREATE TABLE flow_chunk_hosts (first_id INTEGER PRIMARY KEY, hosts BLOB NOT NULL);`,
  // Imported advisories in their canonical form (model/advisory.ts) and CISA's KEV catalogue.
  `
  CREATE TABLE advisories (
    id TEXT PRIMARY KEY,
    format TEXT NOT NULL,
    title TEXT NOT NULL,
    released TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    schema_errors INTEGER NOT NULL,
    imported_at TEXT NOT NULL
  );
  CREATE TABLE kev (
    cve TEXT PRIMARY KEY,
    vendor TEXT NOT NULL,
    product TEXT NOT NULL,
    name TEXT NOT NULL,
    date_added TEXT NOT NULL,
    due_date TEXT,
    ransomware INTEGER NOT NULL,
    imported_at TEXT NOT NULL
  );
  `,
  // The end-of-life register (app/end-of-life.ts): decisions are appended; the newest per target counts.
  `
  CREATE TABLE eol_decisions (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    target TEXT NOT NULL,
    decision TEXT NOT NULL,
    owner TEXT NOT NULL,
    rationale TEXT NOT NULL,
    review_by TEXT NOT NULL,
    replace_by TEXT,
    vendor_support TEXT,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL
  );
  CREATE INDEX eol_decisions_target ON eol_decisions (site, target, id);
  `,
  // The trust graph's (trust/, store/trust.ts): the assumptions people declare, the zones
  // they name, and the key credentials are hashed with.
  `
  CREATE TABLE trust_assumptions (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    subject TEXT NOT NULL,
    object TEXT,
    statement TEXT NOT NULL,
    owner TEXT NOT NULL,
    reason TEXT NOT NULL,
    evidence TEXT NOT NULL,
    expect TEXT,
    review_by TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    reviewed_by TEXT,
    reviewed_at TEXT,
    review_note TEXT
  );
  -- The key credentials are hashed with in the trust graph: a graph (or an export of it) holds
  -- no secret, and no hash that a list of common communities would reverse.
  CREATE TABLE trust_key (key TEXT NOT NULL);
  INSERT INTO trust_key (key) SELECT lower(hex(randomblob(32)));
  CREATE TABLE trust_zones (
    site TEXT NOT NULL,
    name TEXT NOT NULL,
    members TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL,
    PRIMARY KEY (site, name)
  );
  `,
  // Certificate identity (pki/, store/pki.ts): the CAs (keys sealed under a passphrase that
  // is never stored), the vendor CAs whose device certificates (IDevID) may enroll, every
  // certificate issued or seen in EAP-TLS, the one-time enrollment tokens (hashes only), and
  // the identity each RADIUS decision rested on.
  `
  CREATE TABLE pki_cas (
    id INTEGER PRIMARY KEY,
    role TEXT NOT NULL,
    cert_pem TEXT NOT NULL,
    key_pem TEXT,
    algorithm TEXT,
    subject TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    not_after TEXT NOT NULL,
    source TEXT NOT NULL,
    active INTEGER NOT NULL,
    crl_number INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE pki_vendor_cas (
    fingerprint TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    cert_pem TEXT NOT NULL,
    subject TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL
  );
  CREATE TABLE certificates (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    serial TEXT NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    site TEXT NOT NULL,
    mac TEXT,
    source TEXT NOT NULL,
    issued_via TEXT,
    issued_by TEXT,
    profile TEXT,
    key TEXT NOT NULL,
    signature TEXT NOT NULL,
    not_before TEXT NOT NULL,
    not_after TEXT NOT NULL,
    weak TEXT NOT NULL,
    der TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT,
    revoke_reason TEXT,
    replaced_by TEXT
  );
  CREATE INDEX certificates_device ON certificates (site, mac);
  CREATE INDEX certificates_serial ON certificates (serial);
  CREATE TABLE enroll_tokens (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    mac TEXT NOT NULL,
    device_serial TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    used_fingerprint TEXT
  );
  ALTER TABLE nac_decisions ADD COLUMN identity TEXT;
  `,
  // Open alerts of a class (identity-change, read to rate every device's identity on each page
  // of the device list) without reading every alert.
  `
  CREATE INDEX alerts_class_status ON alerts (class, status);
  `,
  // A device by its MAC or key, across sites (a device page, a flow filter, the peers a
  // device's context names): without these every lookup read the whole inventory.
  `
  CREATE INDEX devices_mac ON devices (mac);
  CREATE INDEX devices_key ON devices (key);
  `,
];

function flowOfRow(r: Record<string, string | number | null>): FlowRecord {
  const f: FlowRecord = {
    site: r.site as string, source: r.source as string, vlan: r.vlan as number, proto: r.proto as number,
    srcIp: r.src_ip as string, srcPort: r.src_port as number, dstIp: r.dst_ip as string, dstPort: r.dst_port as number,
    initiatorKnown: r.initiator_known === 1, packetsSrcToDst: r.packets_src as number, bytesSrcToDst: r.bytes_src as number,
    packetsDstToSrc: r.packets_dst as number, bytesDstToSrc: r.bytes_dst as number, firstUs: r.first_us as number, lastUs: r.last_us as number,
    tcpFlagsSrc: r.tcp_flags_src as number, tcpFlagsDst: r.tcp_flags_dst as number, endReason: r.end_reason as string,
  };
  if (r.src_mac !== null) f.srcMac = r.src_mac as string;
  if (r.dst_mac !== null) f.dstMac = r.dst_mac as string;
  if (r.app_protocol !== null) f.appProtocol = r.app_protocol as string;
  if (r.app_confidence !== null) f.appConfidence = r.app_confidence as "dpi" | "port";
  return f;
}

/** Any key for PostgreSQL's advisory lock that serialises schema steps of sensors starting at once. */
const MIGRATION_LOCK = 0x636f7264;

/** Brings the database's schema to this Cordon's version; a newer schema than this Cordon knows is refused. */
function versions(sql: Sql): [number, number] {
  return sql instanceof SqliteSql
    ? [sql.db.pragma("user_version", { simple: true }) as number, MIGRATIONS.length]
    : [sql.column<boolean>("SELECT to_regclass('cordon_schema') IS NOT NULL")[0] ? sql.column<number>("SELECT version FROM cordon_schema")[0] ?? 0 : 0, POSTGRES_MIGRATIONS.length];
}

/** Whether the database's schema is older than this Cordon's. */
export function schemaBehind(sql: Sql): boolean {
  const [version, current] = versions(sql);
  return version < current;
}

/** A database opened read-only must have this Cordon's schema. */
export function checkSchema(sql: Sql): void {
  const [version, current] = versions(sql);
  if (version > current) throw new Error(`database schema version ${version} is newer than this Cordon (${current})`);
  if (version < current) throw new Error(`database schema version ${version} is older than this Cordon (${current}): a command that writes ('cordon analyze', 'cordon serve') upgrades it`);
}

export function migrate(sql: Sql): void {
  if (sql instanceof SqliteSql) {
    const db = sql.db;
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version > MIGRATIONS.length) throw new Error(`database schema version ${version} is newer than this Cordon (${MIGRATIONS.length})`);
    for (let v = version; v < MIGRATIONS.length; v++) {
      db.transaction(() => {
        const m = MIGRATIONS[v];
        if (typeof m === "string") db.exec(m);
        else m(db);
        db.pragma(`user_version = ${v + 1}`);
      })();
    }
    return;
  }
  sql.transaction(() => {
    sql.exec(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    sql.exec("CREATE TABLE IF NOT EXISTS cordon_schema (version INTEGER NOT NULL)");
    let version = sql.column<number>("SELECT version FROM cordon_schema")[0];
    if (version === undefined) {
      sql.run("INSERT INTO cordon_schema (version) VALUES (0)");
      version = 0;
    }
    if (version > POSTGRES_MIGRATIONS.length) throw new Error(`database schema version ${version} is newer than this Cordon (${POSTGRES_MIGRATIONS.length})`);
    for (let v = version; v < POSTGRES_MIGRATIONS.length; v++) {
      sql.exec(POSTGRES_MIGRATIONS[v]);
      sql.run("UPDATE cordon_schema SET version = ?", v + 1);
    }
  });
}
