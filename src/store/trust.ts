import type { Sql } from "./sql.js";

/** A trust assumption a person declared (trust/assumptions.ts reads them). */
export interface StoredAssumption {
  id: number;
  site: string;
  /** The node the assumption is about (a device key, `zone:NAME`, `external:NAME`). */
  subject: string;
  /** The node it trusts or is trusted by, when there is one. */
  object?: string;
  statement: string;
  owner: string;
  reason: string;
  evidence: string;
  /** What the traffic must keep to (trust/assumptions.ts `Expectation`), as JSON. */
  expect?: string;
  reviewBy: string;
  addedBy: string;
  addedAt: string;
  reviewedBy?: string;
  reviewedAt?: string;
  reviewNote?: string;
}

/** A zone a person named: devices, networks and VLANs that count as one place (guest, vendor access). */
export interface StoredZone {
  site: string;
  name: string;
  /** Member selectors as JSON (trust/zones.ts). */
  members: string;
  setBy: string;
  setAt: string;
}

type Row = Record<string, string | number | null>;

const opt = <K extends string>(k: K, v: string | number | null): { [P in K]?: string } => (v === null ? {} : { [k]: String(v) } as { [P in K]?: string });

function assumptionOf(r: Row): StoredAssumption {
  return {
    id: Number(r.id), site: r.site as string, subject: r.subject as string, statement: r.statement as string, owner: r.owner as string,
    reason: r.reason as string, evidence: r.evidence as string, reviewBy: r.review_by as string, addedBy: r.added_by as string, addedAt: r.added_at as string,
    ...opt("object", r.object), ...opt("expect", r.expect), ...opt("reviewedBy", r.reviewed_by), ...opt("reviewedAt", r.reviewed_at), ...opt("reviewNote", r.review_note),
  };
}

/** Trust assumptions and zones, on the store's connection. */
export class TrustStore {
  constructor(private readonly sql: Sql) {}

  addAssumption(a: Omit<StoredAssumption, "id" | "reviewedBy" | "reviewedAt" | "reviewNote">): number {
    return Number(this.sql.column<number>(`INSERT INTO trust_assumptions (site, subject, object, statement, owner, reason, evidence, expect, review_by, added_by, added_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, a.site, a.subject, a.object ?? null, a.statement, a.owner, a.reason, a.evidence, a.expect ?? null,
    a.reviewBy, a.addedBy, a.addedAt)[0]);
  }

  assumptions(site?: string): StoredAssumption[] {
    const rows = site === undefined ? this.sql.all<Row>("SELECT * FROM trust_assumptions ORDER BY id")
      : this.sql.all<Row>("SELECT * FROM trust_assumptions WHERE site = ? ORDER BY id", site);
    return rows.map(assumptionOf);
  }

  /** Records a review: who looked, when, what they found, and the next review date. */
  reviewAssumption(id: number, r: { by: string; at: string; note: string; nextReview: string }): boolean {
    return this.sql.run("UPDATE trust_assumptions SET reviewed_by = ?, reviewed_at = ?, review_note = ?, review_by = ? WHERE id = ?", r.by, r.at, r.note, r.nextReview, id) > 0;
  }

  /** The installation's key for hashing credentials in the graph (made by the schema step). */
  credentialKey(): string {
    return this.sql.column<string>("SELECT key FROM trust_key")[0] ?? "";
  }

  setZone(z: StoredZone): void {
    this.sql.run(`INSERT INTO trust_zones (site, name, members, set_by, set_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (site, name) DO UPDATE SET members = excluded.members, set_by = excluded.set_by, set_at = excluded.set_at`, z.site, z.name, z.members, z.setBy, z.setAt);
  }

  zones(site?: string): StoredZone[] {
    const rows = site === undefined ? this.sql.all<Row>("SELECT * FROM trust_zones ORDER BY site, name")
      : this.sql.all<Row>("SELECT * FROM trust_zones WHERE site = ? ORDER BY name", site);
    return rows.map((r) => ({ site: r.site as string, name: r.name as string, members: r.members as string, setBy: r.set_by as string, setAt: r.set_at as string }));
  }
}
