import type { NacTable } from "../nac/authorization.js";
import type { Role } from "../app/permissions.js";
import type { DecisionColumns } from "../nac/decision-runs.js";
import type { AccountingEvent } from "../nac/radius-server.js";
import type { NacSession } from "../nac/sessions.js";
import type { PkiMaterial } from "../app/certificates.js";
import type { DomainStats } from "../sources/netflow/collector.js";
import type { ServeConfig } from "./config.js";

/** Counters of one configured source, as /metrics shows them. */
export interface SourceSnapshot {
  kind: "netflow" | "capture" | "zeek";
  site: string;
  /** Datagrams (NetFlow), frames (capture) or log lines (Zeek). */
  packets: number;
  bytes: number;
  /** Flow records decoded (NetFlow) or log records read (Zeek). */
  records: number;
  /** Dropped before decoding because the ingest queue was full. */
  drops: number;
  /** Dropped by the kernel before the capture read them. */
  kernelDrops: number;
  errors: Record<string, number>;
  exporters: number;
  domains: DomainStats[];
}

export interface StatsSnapshot {
  pipeline: { packets: number; flows: number; devices: number; liveFlows: number; evictions: number; devicesLetGo: number; errors: Record<string, number>; alerts: number; detectorFailures: number;
    /** Finished flows waiting for the database, and whether the last write reached it. */
    heldFlows: number; storeUp: boolean;
    /** Per detector, state entries let go at their budgets. */
    detectorEvictions: Record<string, number>;
  };
  sources: Record<string, SourceSnapshot>;
}

/** Main thread → ingest worker. */
export type ToWorker =
  | {
    type: "datagrams";
    source: string;
    /** The datagrams back to back; datagram i is bytes offsets[i] to offsets[i + 1]. */
    data: ArrayBuffer;
    offsets: number[];
    exporters: string[];
    receivedMs: number[];
    /** Datagrams this source has dropped on the main thread so far. */
    dropsSoFar: number;
  }
  | { type: "stop" }
  /** An IPFIX transport session (TCP) ended, after its last message: its templates go. */
  | { type: "session-end"; source: string; exporter: string }
  /** What the RADIUS server decided and was told (accounting), to be stored and fed to the inventory. */
  | { type: "nac-events"; decisions: DecisionColumns; accounting: AccountingEvent[]; certificates: PresentedCertificate[] }
  /** An enrollment (EST, SCEP) or the CRL, for the store and the CA. */
  | { type: "pki"; id: number; request: PkiRequest }
  /** The outcome of a CoA the worker asked for. */
  | { type: "coa-result"; id: number; ok: boolean; summary: string }
  /** A request to the local HTTP API that needs the store. */
  | { type: "api"; id: number; op: ApiOp; request: ApiRequest; caller: Caller };

export type ApiOp = "quarantine" | "release" | "responses" | "approve" | "reject" | "decisions" | "audit" | "authenticate" | "login" | "logout"
  | "sites" | "devices" | "device" | "alerts" | "alert" | "alert-move" | "suppress" | "policies" | "policy-move" | "override" | "policy-diff" | "flows"
  | "device-context" | "policy-simulate" | "policy-compile" | "overview" | "quarantines" | "vulnerabilities" | "device-vulnerabilities" | "eol" | "eol-set" | "eol-review" | "compensate"
  | "trust-graph" | "trust-blast" | "trust-amplifiers" | "trust-paths" | "trust-assumptions" | "trust-assume" | "trust-review"
  | "certs" | "cert-status" | "cert-revoke";

/** An API request's parameters, each already parsed into its canonical value (`serve/api.ts`). */
export interface ApiRequest {
  site?: string;
  mac?: string;
  id?: string;
  reason?: string;
  limit?: number;
  /** `vulnerabilities`: every device, not only those with CVEs. */
  all?: boolean;
  /** `eol-set`, `eol-review`: the decision and its fields, parsed by the use case. */
  eol?: { model?: { vendor: string; product: string }; target?: string; decision?: string; owner?: string; rationale?: string; reviewBy?: string; replaceBy?: string; vendorSupport?: string };
  before?: number;
  /** The trust graph's reads and assumptions (app/trust.ts): text is parsed there, names resolve against the graph. */
  trust?: {
    node?: string; policy?: string; families?: string[]; fresh?: boolean; from?: string; to?: string; top?: number;
    assumption?: { subject: string; object?: string; statement: string; owner: string; reason: string; evidence?: string; reviewBy: string; onlyHours?: string; onlyInMaintenance?: boolean };
    assumptionId?: number; nextReview?: string;
  };
  /** `cert-status`, `cert-revoke`: a serial or SHA-256 fingerprint (hex); `cert-revoke`'s RFC 5280 reason. */
  certificate?: string;
  revokeReason?: string;
  /** `authenticate`: a user's API token, to be looked up. */
  token?: string;
  /** `authenticate`, `logout`: a console session (the cookie's value). */
  session?: string;
  /** `login`. */
  name?: string;
  password?: string;
  /** Lists: the cursor of the page before, and filters. */
  after?: string;
  category?: string;
  alertClass?: string;
  status?: "open" | "acknowledged" | "resolved" | "suppressed" | "active" | "all";
  minSeverity?: "low" | "medium" | "high" | "critical";
  /** `device`: a MAC or an address. */
  device?: string;
  /** `alert-move`, `policy-move`: where it goes. */
  to?: string;
  note?: string;
  /** `flows`: the filters as given (parsed by app/queries.ts flowFilter). */
  flowFilter?: { device?: string; protocol?: string; port?: string; from?: string; until?: string };
  /** `override`. */
  criticality?: string;
  /** `suppress`. */
  detector?: string;
  peer?: string;
  /** `devices`: "row" for the short form a long table shows. */
  view?: "full" | "row";
  /** `overview`: how many days of alerts, up to the newest. */
  days?: number;
  /** `policy-simulate`: flows still going since then (a duration ago or a time; app/queries.ts flowFilter parses it). */
  from?: string;
  /** `policy-compile`: the target, the device set of a port target, and the mode. */
  target?: string;
  deviceSet?: string;
  mode?: "monitor" | "enforce";
  /** A duration or an ISO time, parsed by app/alerts.ts expiryTime. */
  expires?: string;
}

/** Who asked: the authenticated principal, the person it names, and the peer address. */
export interface Caller {
  principal: string;
  actor: string;
  peer: string;
  /** The role it acts in: a user's, or admin for serve's own token (the host's administrator). */
  role: Role;
  /** A console session's CSRF token (GET /api/session hands it to the page). */
  csrf?: string;
}

/** A client certificate presented in EAP-TLS (DER, base64), for the inventory. */
export interface PresentedCertificate {
  site: string;
  mac: string;
  der: string;
  atMs: number;
}

/** What an enrollment listener asks the worker: DER values in base64. */
export type PkiRequest =
  | { op: "enroll"; mode: "enroll" | "reenroll"; via: "est" | "scep"; csr: string; token?: string; clientChain?: string[] }
  | { op: "crl" }
  /** A SCEP PKIOperation message (DER, base64): the CertRep comes back. */
  | { op: "scep"; message: string };

/** Ingest worker → main thread. */
export type ToMain =
  | { type: "ready"; devices: number; nacTable?: NacTable; pki?: PkiMaterial }
  /** The revoked serials changed (a revocation by the API, the CLI or a playbook). */
  | { type: "pki-revoked"; serials: string[] }
  /** An enrollment's certificate (DER, base64) or the CRL; or the refusal with its HTTP status. */
  | { type: "pki-result"; id: number; status: number; body: { der: string } | { error: string; code: string } }
  | { type: "nac-table"; table: NacTable }
  /** Change the authorisation of a device's session at its NAS (the last session the store knows, if any). */
  | { type: "coa"; id: number; site: string; mac: string; purpose: "quarantine" | "release" | "regroup"; stored?: NacSession }
  | { type: "api-result"; id: number; status: number; body: unknown }
  /** Something the console shows live (GET /api/events): a new alert, a response waiting for a person, devices saved. */
  | { type: "event"; kind: "alert" | "response" | "devices"; data: unknown }
  | { type: "ack"; count: number }
  | { type: "stats"; stats: StatsSnapshot }
  | { type: "stopped" }
  /** The reader thread (serve/api-reader.ts) has its connection. */
  | { type: "reader-ready" }
  | { type: "fatal"; message: string };

/** Main thread → reader thread: a read of the API, or the end. */
/** What a reader thread answers: "flows", the reads of flow history (serve/api-reads.ts FLOW_READ_OPS); "reads", the others. */
export type ReaderRole = "reads" | "flows";

/** A reader thread's start-up data. */
export interface ReaderData {
  config: ServeConfig;
  role: ReaderRole;
}

export type ToReader = { type: "api"; id: number; op: ApiOp; request: ApiRequest; caller: Caller } | { type: "stop" };
