import { createHash } from "node:crypto";
import type { Alert } from "../model/alert.js";
import { textValue } from "../model/values.js";
import { canonicalVendor, makerKey } from "../inventory/vendor-names.js";
import { deviceIdentity } from "../vulns/device-identity.js";
import type { Store, StoredEolDecision } from "../store/store.js";
import { type Actor, recordChange } from "./actor.js";
import { InputError, inputField } from "./errors.js";
import { checkSite } from "./queries.js";

/**
 * The end-of-life register: for a device, or every device of a model, that will not be fixed,
 * a decision a person owns (accept and monitor, replace by a date, isolate, take offline), its
 * rationale, the vendor's support status where known, and a date by which it is reviewed.
 * Decisions are appended, never changed (the register is its own history), and each is
 * audited. A review past its date, or a device kept past its replace-by date, is an alert.
 */

export const EOL_DECISIONS = ["accept-and-monitor", "replace", "isolate", "take-offline"] as const;
export type EolDecision = (typeof EOL_DECISIONS)[number];

/** Reviews are at most this far ahead: a decision nobody looks at for longer is no decision. */
const MAX_REVIEW_DAYS = 3 * 366;
const DAY_MS = 86_400_000;
/** A review within this many days is shown as due soon. */
const DUE_SOON_DAYS = 30;

/** A decision as a person gives it: for a device (by MAC or address) or a model, the register's fields unparsed. */
export type EolInput = Pick<StoredEolDecision, "site" | "decision" | "owner" | "rationale" | "reviewBy" | "replaceBy" | "vendorSupport"> & {
  device?: string;
  model?: { vendor: string; product: string };
};


/** A calendar date, YYYY-MM-DD, that exists. */
function dateValue(v: string, what: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) throw new InputError(`${what}: "${v}" is not a date (YYYY-MM-DD)`);
  return v;
}

function futureDate(v: string, what: string, now: number, maxDays: number): string {
  const d = dateValue(v, what);
  const t = Date.parse(`${d}T00:00:00Z`);
  if (t <= now) throw new InputError(`${what}: ${d} is not in the future`);
  if (t > now + maxDays * DAY_MS) throw new InputError(`${what}: ${d} is more than ${maxDays} days ahead`);
  return d;
}

function targetOf(store: Store, i: EolInput): string {
  if ((i.device === undefined) === (i.model === undefined)) throw new InputError("an end-of-life decision names one device or one model");
  if (i.model) {
    const vendor = canonicalVendor(inputField(() => textValue(i.model!.vendor, "vendor", 100)));
    const product = inputField(() => textValue(i.model!.product, "product", 200));
    if (vendor.includes("|")) throw new InputError("vendor: may not hold |");
    return `model:${vendor}|${product}`;
  }
  const found = store.findDevices(i.device!).filter((d) => d.site === i.site);
  if (found.length === 0) throw new InputError(`no device ${i.device} at site ${i.site}`);
  return found[0]!.key;
}

/** Records a decision for a device or a model, and audits it. */
export function setEolDecision(store: Store, by: Actor, i: EolInput, now = Date.now()): StoredEolDecision {
  checkSite(store, i.site);
  if (!(EOL_DECISIONS as readonly string[]).includes(i.decision)) throw new InputError(`decision: "${i.decision}" is not one of ${EOL_DECISIONS.join(", ")}`);
  const target = targetOf(store, i);
  const reviewBy = futureDate(i.reviewBy, "review", now, MAX_REVIEW_DAYS);
  if (i.decision === "replace" && i.replaceBy === undefined) throw new InputError("replace-by: a decision to replace names the date");
  if (i.decision !== "replace" && i.replaceBy !== undefined) throw new InputError("replace-by: only for a decision to replace");
  const replaceBy = i.replaceBy === undefined ? undefined : futureDate(i.replaceBy, "replace-by", now, 10 * 366);
  const d: Omit<StoredEolDecision, "id"> = {
    site: i.site, target, decision: i.decision,
    owner: inputField(() => textValue(i.owner, "owner", 100)),
    rationale: inputField(() => textValue(i.rationale, "rationale", 1000)),
    reviewBy, ...(replaceBy ? { replaceBy } : {}),
    ...(i.vendorSupport !== undefined ? { vendorSupport: inputField(() => textValue(i.vendorSupport, "vendor-support", 200)) } : {}),
    decidedBy: by.name, decidedAt: new Date(now).toISOString(),
  };
  const id = store.saveEolDecision(d);
  recordChange(store, by, { action: "eol.set", target, site: i.site, detail: `${d.decision}${replaceBy ? ` by ${replaceBy}` : ""}, owner ${d.owner}, review by ${reviewBy}: ${d.rationale}` });
  return { id, ...d };
}

/** A review of the decision in force for a target: the same decision, the next review date, what the reviewer found. */
export function reviewEolDecision(store: Store, by: Actor, site: string, target: string, o: { nextReview: string; note: string }, now = Date.now()): StoredEolDecision {
  checkSite(store, site);
  const key = target.startsWith("model:") ? target : store.findDevices(target).find((d) => d.site === site)?.key ?? target;
  const current = store.eolDecisions({ inForce: true, site }).find((d) => d.target === key);
  if (!current) throw new InputError(`no end-of-life decision for ${target} at site ${site} (cordon eol list shows them)`);
  const note = inputField(() => textValue(o.note, "note", 1000));
  const reviewBy = futureDate(o.nextReview, "next review", now, MAX_REVIEW_DAYS);
  const d: Omit<StoredEolDecision, "id"> = { ...current, reviewBy, rationale: `${current.rationale} | reviewed ${new Date(now).toISOString().slice(0, 10)} by ${by.name}: ${note}`, decidedBy: by.name, decidedAt: new Date(now).toISOString() };
  delete (d as Partial<StoredEolDecision>).id;
  const id = store.saveEolDecision(d);
  recordChange(store, by, { action: "eol.review", target: key, site, detail: `${current.decision} kept, next review by ${reviewBy}: ${note}` });
  return { id, ...d };
}

export type EolStatus = "ok" | "review-due-soon" | "review-overdue" | "past-replace-by";

export interface EolEntry extends StoredEolDecision {
  status: EolStatus[];
  /** The devices the decision covers (the device, or every device of the model), with when each was last seen. */
  devices: { key: string; lastUs: number }[];
}

function statusOf(d: StoredEolDecision, now: number): EolStatus[] {
  const out: EolStatus[] = [];
  const review = Date.parse(`${d.reviewBy}T00:00:00Z`);
  if (review <= now) out.push("review-overdue");
  else if (review - now <= DUE_SOON_DAYS * DAY_MS) out.push("review-due-soon");
  if (d.replaceBy && Date.parse(`${d.replaceBy}T00:00:00Z`) <= now) out.push("past-replace-by");
  return out.length ? out : ["ok"];
}

/** The decisions in force, with their status and the devices each covers. */
export function eolRegister(store: Store, site?: string, now = Date.now()): EolEntry[] {
  checkSite(store, site);
  const decisions = store.eolDecisions({ inForce: true, site });
  const models = decisions.filter((d) => d.target.startsWith("model:"));
  const covered = new Map<string, { key: string; lastUs: number }[]>();
  const add = (target: string, key: string, lastUs: number): void => {
    covered.set(target, [...(covered.get(target) ?? []), { key, lastUs }]);
  };
  const verdicts = models.length ? store.latestVerdicts() : undefined;
  const devicesOf = new Set(decisions.filter((d) => !d.target.startsWith("model:")).map((d) => `${d.site}\t${d.target}`));
  for (const dev of store.eachDevice(site)) {
    if (devicesOf.has(`${dev.site}\t${dev.key}`)) add(`${dev.site}\t${dev.key}`, dev.key, dev.lastUs);
    if (!verdicts) continue;
    const id = deviceIdentity(dev.facts, verdicts.get(dev.id));
    if (!id.vendor || !id.product) continue;
    for (const m of models) {
      const [vendor, product] = m.target.slice("model:".length).split("|");
      if (m.site === dev.site && makerKey(vendor!) === makerKey(id.vendor) && product!.toLowerCase() === id.product.toLowerCase()) add(`${m.site}\t${m.target}`, dev.key, dev.lastUs);
    }
  }
  return decisions.map((d) => ({ ...d, status: statusOf(d, now), devices: covered.get(`${d.site}\t${d.target}`) ?? [] }));
}

/**
 * Alerts for the register: one per decision whose review is overdue, and one per device kept
 * past its replace-by date. Ids are stable (the decision and the date), so a check run again
 * finds the same alert instead of raising another. Returns the alerts it stored.
 */
export function raiseEolAlerts(store: Store, site?: string, now = Date.now()): Alert[] {
  const out: Alert[] = [];
  const nowUs = now * 1000;
  for (const e of eolRegister(store, site, now)) {
    const alert = (kind: string, device: string | undefined, title: string, severity: Alert["severity"]): Alert => ({
      id: createHash("sha256").update(`eol\n${e.id}\n${kind}\n${device ?? ""}`).digest("hex").slice(0, 16),
      detector: "end-of-life", class: "end-of-life", severity, technique: "", site: e.site,
      ...(device ? { source: device, ...(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(device) ? { sourceMac: device } : {}) } : {}),
      title, firstUs: nowUs, lastUs: nowUs, count: 1, status: "open",
      evidence: { packets: [], flows: [], observations: [`end-of-life decision ${e.id}: ${e.decision}, owner ${e.owner}, review by ${e.reviewBy}${e.replaceBy ? `, replace by ${e.replaceBy}` : ""}`] },
    });
    if (e.status.includes("review-overdue")) out.push(alert(`review ${e.reviewBy}`, e.target.startsWith("model:") ? undefined : e.target, `End-of-life review overdue since ${e.reviewBy}: ${e.target} (${e.decision}, owner ${e.owner})`, "medium"));
    if (e.status.includes("past-replace-by")) {
      // A device seen since its replace-by date is still there: the decision was not carried out.
      const due = Date.parse(`${e.replaceBy}T00:00:00Z`) * 1000;
      for (const dev of e.devices.filter((d) => d.lastUs >= due)) {
        out.push(alert(`replace ${e.replaceBy}`, dev.key, `${dev.key} is still on the network past its replace-by date ${e.replaceBy} (owner ${e.owner})`, "high"));
      }
    }
  }
  if (out.length) store.saveAlerts(out);
  return out;
}
