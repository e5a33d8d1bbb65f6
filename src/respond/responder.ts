import { ensureWritableDir } from "./evidence-dir.js";
import { join } from "node:path";
import { parseMac } from "../net/addr.js";
import type { Alert } from "../model/alert.js";
import type { ResponseRecord, ResponseStep } from "../model/response.js";
import { compileQuarantineNftables } from "../policy/compile/nftables-quarantine.js";
import type { NacStore, StoredQuarantine } from "../store/nac.js";
import type { PacketRings } from "./packet-ring.js";
import { type RespondConfig, concernsOt, planResponse, responseNotice, triggers } from "./playbook.js";

/**
 * Carries out responses, one at a time, recording every step in the response record:
 * evidence first (the device's recent packets as pcapng, before anything changes its
 * traffic), then quarantine (the quarantine list, which the RADIUS answers follow, and CoA to
 * the device's NAS or the nftables quarantine set), then the notice to the SOC (and the OT
 * owners for the highest criticality class). A response that needs approval stops after the
 * evidence and the notice, as "proposed", until a person approves or rejects it.
 */

export interface ResponderDevice {
  category: string;
  criticality: string;
  name?: string;
  /** Addresses the inventory holds for it (the firewall quarantine's members). */
  addresses: string[];
}

export interface ResponderEffects {
  now(): Date;
  device(site: string, mac: string): ResponderDevice | undefined;
  /** The quarantine list changed: the authorisation table is built again and handed on. */
  quarantineChanged(): void;
  /** CoA (or Disconnect) to the device's NAS so its next authorisation follows the quarantine list. */
  changeAuthorization(site: string, mac: string, purpose: "quarantine" | "release"): Promise<{ ok: boolean; summary: string }>;
  /** Revokes the device's valid certificates (`respond.revoke_certificates`); what was done. */
  revokeCertificates?(site: string, mac: string, actor: string, reason: string): Promise<{ ok: boolean; detail: string }>;
  /** Loads an nftables ruleset; returns the error, or undefined when it loaded. */
  applyFirewall(ruleset: string): Promise<string | undefined>;
  /** Sends notices through the alert outputs; returns the failures. */
  notify(alerts: Alert[], ot: boolean): Promise<string[]>;
  rings?: PacketRings;
  /** Each step as it is taken (serve logs it). */
  stepTaken?(r: ResponseRecord, step: ResponseStep): void;
}

export class ResponseError extends Error {}

/** What the outputs are told once a quarantine was carried out, as it is. */
const quarantineNotice = (r: ResponseRecord): string =>
  r.status === "done" ? "Quarantined" : r.status === "next-auth" ? "Quarantine listed, in effect from the device's next authentication (the CoA did not go through)" : "Quarantine failed";

const UNKNOWN_DEVICE: ResponderDevice = { category: "unknown", criticality: "standard", addresses: [] };

export class Responder {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly config: RespondConfig, private readonly store: NacStore, private readonly fx: ResponderEffects, private readonly quarantineAllow: readonly string[]) {}

  /** Runs `f` after every response before it (no two touch the quarantine list at once). */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.chain.then(f, f);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private step(r: ResponseRecord, s: Omit<ResponseStep, "at">): void {
    const at = this.fx.now().toISOString();
    r.steps.push({ at, ...s });
    r.updatedAt = at;
    this.store.saveResponse(r);
    this.fx.stepTaken?.(r, r.steps[r.steps.length - 1]);
  }

  /** Starts a response for each alert that calls for one (once per alert; not for a device already in quarantine). */
  onAlerts(alerts: readonly Alert[]): Promise<ResponseRecord[]> {
    return this.serial(async () => {
      const out: ResponseRecord[] = [];
      for (const a of alerts) {
        if (!triggers(a, this.config) || this.store.hasResponseFor(a.id)) continue;
        const mac = a.sourceMac!;
        if (this.store.activeQuarantine(a.site, mac)) continue;
        const device = this.fx.device(a.site, mac) ?? UNKNOWN_DEVICE;
        const r = planResponse({ site: a.site, mac, at: this.fx.now().toISOString(), device, alert: a }, this.config);
        out.push(await this.run(r, "playbook"));
      }
      return out;
    });
  }

  /**
   * A person's quarantine: carried out at once, whatever the device's class (the person is the
   * approval), unless `waitsFor` names whose approval it needs: then it is proposed.
   */
  quarantine(site: string, mac: string, by: string, reason: string, waitsFor?: string): Promise<ResponseRecord> {
    return this.serial(async () => {
      const device = this.fx.device(site, mac) ?? UNKNOWN_DEVICE;
      const r = planResponse({ site, mac, at: this.fx.now().toISOString(), device, manual: { by, reason, ...(waitsFor ? { waitsFor } : {}) } }, this.config);
      return this.run(r, by);
    });
  }

  approve(id: string, by: string, note?: string): Promise<ResponseRecord> {
    return this.serial(async () => {
      const r = this.proposed(id);
      if (r.requestedBy !== undefined && r.requestedBy === by) throw new ResponseError(`${by} asked for this quarantine: another person approves it (four-eyes)`);
      r.status = "running";
      this.step(r, { action: "approve", outcome: "ok", detail: note ? `approved: ${note}` : "approved", by });
      await this.enforce(r, by);
      await this.tell(r, `${quarantineNotice(r)} after approval`);
      return r;
    });
  }

  reject(id: string, by: string, note: string): Promise<ResponseRecord> {
    return this.serial(async () => {
      const r = this.proposed(id);
      r.status = "rejected";
      this.step(r, { action: "reject", outcome: "ok", detail: note, by });
      return r;
    });
  }

  private proposed(id: string): ResponseRecord {
    // The id, or a unique prefix of it (as tables show ids).
    const found = this.store.responsesByPrefix(id);
    if (found.length === 0) throw new ResponseError(`no response ${id} (cordon respond list shows them)`);
    if (found.length > 1) throw new ResponseError(`${id} names more than one response: give more of the id`);
    const r = found[0];
    if (r.status !== "proposed") throw new ResponseError(`response ${r.id} is ${r.status}, not waiting for approval`);
    return r;
  }

  /** Ends a quarantine (an explicit, logged action) and lets the device be authorised as before. */
  release(site: string, mac: string, by: string, note: string): Promise<{ quarantine: StoredQuarantine; enforcement: string; now: boolean }> {
    return this.serial(async () => {
      const q = this.store.release(site, mac, by, this.fx.now().toISOString(), note);
      if (!q) throw new ResponseError(`${mac} is not in quarantine at site ${site}`);
      this.fx.quarantineChanged();
      const enforcement = await this.unenforce(site, mac);
      const r = q.responseId ? this.store.response(q.responseId) : undefined;
      if (r) {
        this.step(r, { action: "release", outcome: enforcement.ok ? "ok" : "failed", detail: `${note}; ${enforcement.detail}`, by });
        await this.tell(r, `Released from quarantine by ${by}`);
      }
      // Off the list either way: `now` says whether the device was also made to re-authenticate at once.
      return { quarantine: q, enforcement: enforcement.ok ? enforcement.detail : `off the quarantine list: its next authentication is answered as before, not now: ${enforcement.detail}`, now: enforcement.ok };
    });
  }

  private async run(r: ResponseRecord, actor: string): Promise<ResponseRecord> {
    this.store.saveResponse(r);
    this.capture(r);
    if (r.plan.approval) {
      this.step(r, { action: "propose", outcome: "waiting", detail: `${r.plan.waitsBecause ?? `the device is ${r.criticality}`}: quarantine waits for a person (cordon respond approve ${r.id})` });
      await this.tell(r, "Quarantine proposed, awaiting approval");
      return r;
    }
    await this.enforce(r, actor);
    await this.tell(r, quarantineNotice(r));
    return r;
  }

  private capture(r: ResponseRecord): void {
    const mac = parseMac(r.mac);
    if (!this.fx.rings || mac === undefined) {
      this.step(r, { action: "capture", outcome: "skipped", detail: "no live capture keeps packets" });
      return;
    }
    const now = this.fx.now();
    const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    const path = join(this.config.evidenceDir, `${r.site.replace(/[^\w.-]+/g, "_")}-${r.mac.replace(/:/g, "")}-${stamp}-${r.id}.pcapng`);
    try {
      ensureWritableDir(this.config.evidenceDir);
      const n = this.fx.rings.writePcapng(mac, now.getTime() * 1000 - this.config.captureSeconds * 1_000_000, path);
      if (n === undefined) {
        this.step(r, { action: "capture", outcome: "skipped", detail: "no packets of the device were kept (no live capture saw it)" });
        return;
      }
      r.evidence = path;
      this.step(r, { action: "capture", outcome: "ok", detail: `${n} packets of the last ${this.config.captureSeconds} s written to ${path}` });
    } catch (e) {
      this.step(r, { action: "capture", outcome: "failed", detail: (e as Error).message });
    }
  }

  private async enforce(r: ResponseRecord, actor: string): Promise<void> {
    await this.listAndChange(r, actor);
    if (!this.config.revokeCertificates || !this.fx.revokeCertificates) return;
    // Revoked whatever became of the CoA: the device is on the quarantine list either way.
    try {
      const v = await this.fx.revokeCertificates(r.site, r.mac, actor, r.reason ?? r.title);
      this.step(r, { action: "revoke", outcome: v.ok ? "ok" : "failed", detail: v.detail, by: actor });
    } catch (e) {
      this.step(r, { action: "revoke", outcome: "failed", detail: (e as Error).message, by: actor });
    }
  }

  private async listAndChange(r: ResponseRecord, actor: string): Promise<void> {
    const { created } = this.store.quarantine({ site: r.site, mac: r.mac, since: this.fx.now().toISOString(), by: actor, reason: r.reason ?? r.title, responseId: r.id });
    this.fx.quarantineChanged();
    const listed = created ? "on the quarantine list (its next authorisation gets the quarantine VLAN)" : "already on the quarantine list";
    let ok = true;
    let detail: string;
    if (r.plan.quarantine === "coa") {
      const c = await this.fx.changeAuthorization(r.site, r.mac, "quarantine");
      detail = c.ok ? `${listed}; ${c.summary}` : `${listed}: in effect from its next authentication, not now: ${c.summary}`;
      if (!c.ok) {
        // Listed, so the next MAB is answered with the quarantine: said as it is, not as a failure or a success.
        r.status = "next-auth";
        this.step(r, { action: "quarantine", outcome: "waiting", detail, by: actor });
        return;
      }
    } else if (r.plan.quarantine === "nftables") {
      const err = await this.fx.applyFirewall(this.firewallRuleset());
      ok = err === undefined;
      detail = `${listed}; nftables quarantine ${err === undefined ? "loaded" : `failed: ${err}`}`;
    } else {
      detail = `${listed}; no CoA or firewall is configured to act now`;
    }
    // The status first: the step is told (log, live events) with the state it leaves.
    r.status = ok ? "done" : "failed";
    this.step(r, { action: "quarantine", outcome: ok ? "ok" : "failed", detail, by: actor });
  }

  private async unenforce(site: string, mac: string): Promise<{ ok: boolean; detail: string }> {
    if (this.config.quarantine === "coa") {
      const c = await this.fx.changeAuthorization(site, mac, "release");
      return { ok: c.ok, detail: c.summary };
    }
    if (this.config.quarantine === "nftables") {
      const err = await this.fx.applyFirewall(this.firewallRuleset());
      return { ok: err === undefined, detail: `nftables quarantine ${err === undefined ? "reloaded without the device" : `failed: ${err}`}` };
    }
    return { ok: true, detail: "off the quarantine list" };
  }

  /** The nftables quarantine for every device now in quarantine. */
  firewallRuleset(): string {
    const devices = this.store.quarantines().map((q) => {
      const a = this.fx.device(q.site, q.mac)?.addresses ?? [];
      return { mac: q.mac, v4: a.filter((x) => !x.includes(":")), v6: a.filter((x) => x.includes(":")) };
    });
    return compileQuarantineNftables(devices, this.quarantineAllow);
  }

  private async tell(r: ResponseRecord, what: string): Promise<void> {
    const failures = await this.fx.notify([responseNotice(r, what, this.fx.now().getTime() * 1000)], concernsOt(r));
    this.step(r, { action: "notify", outcome: failures.length === 0 ? "ok" : "failed", detail: failures.length === 0 ? what : failures.join("; ") });
  }
}
