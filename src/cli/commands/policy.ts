import { writeFileSync } from "node:fs";
import { trustWhatIf } from "../../app/trust.js";
import { Store } from "../../store/store.js";
import { renderPolicy, renderPolicyDiff, renderPolicyList, renderSimulation } from "../policy.js";
import { LEFT_OUT, learnFromStore } from "../../app/policy-learning.js";
import { compileFor, loadPolicy, movePolicy, proposePolicy, readGroupSpecs, simulateCaptures, storedPolicy } from "../../app/policies.js";
import { TARGETS } from "../../policy/compile/targets.js";
import { UsageError, parseFormat } from "../output.js";
import { policyFileOf } from "../../app/policies.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";
import { listPolicies } from "../../app/queries.js";

export default command({
  name: "policy",
  summary: "learn, review, approve, compile and simulate segmentation policy",
  help: `Usage: cordon policy learn [--db PATH] [--site NAME] [--all] [--groups FILE] [--out FILE]
       cordon policy list [--site NAME] | show [ID] | diff ID ID   [--format table|json] [--wide]
       cordon policy approve|reject|enforce ID [--reason TEXT]
       cordon policy compile --policy ID|FILE --target TARGET [--device SET] [--mode monitor|enforce]
       cordon policy simulate --policy ID|FILE [--format table|json] [--wide] CAPTURE...

learn     an allow-list from the flows in the database, stored as a new proposed version (and
          written to --out): for every flow a managed device takes part in, "initiator's
          group -> responder (group, DNS name or address) on protocol and port". Groups come
          from --groups (YAML or JSON: a list of {name, devices, category, criticality, site,
          vlan}; a device joins the first it matches), else categories. Managed: every device
          that is not a workstation, server, router, phone or unknown (--all: every device).
          Internet flows follow the device's criticality: life-safety/physical-process none,
          sensitive-data only to DNS-named endpoints, standard the exact addresses seen, low
          their /24; what is left out is listed under "review". Prints the diff from the
          previous version.
list, show, diff   stored versions, one version with its history, what changed between two;
                   diff also shows the trust graph under the second version beside the policy in
                   force: paths from the internet to the strict tier, and each management plane's
                   blast radius that changes (cordon trust --help).
approve, reject, enforce   move a version along proposed -> approved -> enforced (enforcing
          supersedes the version enforced before); who (the operating-system user) is recorded with the time.
compile   TARGET: ${TARGETS.join(", ")} (port targets for the device set named by --device).
          --mode overrides the policy's mode (learned policies start in monitor mode).
simulate  judges every flow of the captures against the policy: what would be dropped, and why.

${COMMON}`,
  options: {
    all: { type: "boolean" },
    db: { type: "string" },
    device: { type: "string" },
    format: { type: "string" },
    wide: { type: "boolean" },
    groups: { type: "string" },
    mode: { type: "string" },
    out: { type: "string" },
    policy: { type: "string" },
    reason: { type: "string" },
    site: { type: "string" },
    target: { type: "string" },
  },
  async run({ values, positionals, by }) {
    const sub = positionals[0];
    const db = dbPath(values.db);
    const format = (): "table" | "json" => (parseFormat(values.format, ["table", "json"]) === "json" ? "json" : "table");
    if (sub === "learn") {
      const fmt = format();
      const store = new Store(db, { mustExist: true });
      try {
        const groups = values.groups ? readGroupSpecs(values.groups) : undefined;
        const f = learnFromStore(store, values.site ?? "default", { manageAll: values.all === true, groups });
        const previous = listPolicies(store, { name: f.policy.name })[0];
        const stored = proposePolicy(store, f, by, values.reason ?? "learned from stored flows");
        if (values.out) writeFileSync(values.out, `${JSON.stringify(policyFileOf(stored), null, 2)}\n`);
        if (fmt === "json") {
          process.stdout.write(`${renderPolicy(stored, "json")}\n`);
        } else {
          const p = policyFileOf(stored).policy;
          process.stdout.write(`policy ${stored.id}: ${stored.name} version ${stored.version}, proposed: ${p.rules.length} rules over ${Object.keys(p.groups).length} groups, ${p.managed.length} managed devices, ${p.review.length} for review${values.out ? ` (written to ${values.out})` : ""}\n`);
          for (const r of p.review.filter((x) => x.startsWith(LEFT_OUT))) process.stdout.write(`${r}\n`);
          if (previous) process.stdout.write(`${renderPolicyDiff(previous, stored, "table")}\n`);
        }
        return 0;
      } finally {
        store.close();
      }
    }
    if (sub === "list" || sub === "show" || sub === "diff" || sub === "approve" || sub === "reject" || sub === "enforce") {
      const fmt = format();
      const store = new Store(db, sub === "list" || sub === "show" || sub === "diff" ? { readOnly: true } : { mustExist: true });
      try {
        if (sub === "list") process.stdout.write(`${renderPolicyList(listPolicies(store, { site: values.site }), fmt, values.wide === true)}\n`);
        else if (sub === "show") process.stdout.write(`${renderPolicy(storedPolicy(store, positionals[1] ?? "latest"), fmt)}\n`);
        else if (sub === "diff") {
          if (positionals.length !== 3) throw new UsageError("policy diff needs two policy ids");
          const b = storedPolicy(store, positionals[2]);
          process.stdout.write(`${renderPolicyDiff(storedPolicy(store, positionals[1]), b, fmt, trustWhatIf(store, b))}\n`);
        } else {
          if (!positionals[1]) throw new UsageError(`policy ${sub} needs a policy id`);
          const to = sub === "approve" ? "approved" : sub === "reject" ? "rejected" : "enforced";
          const p = movePolicy(store, positionals[1], to, by, values.reason);
          process.stdout.write(fmt === "json" ? `${renderPolicy(p, "json")}\n` : `policy ${p.id} (${p.name} version ${p.version}) is ${p.status}\n`);
        }
        return 0;
      } finally {
        store.close();
      }
    }
    if (sub === "compile" || sub === "simulate") {
      if (!values.policy) throw new UsageError(`policy ${sub} needs --policy ID|FILE`);
      const f = loadPolicy(values.policy, db);
      if (sub === "compile") {
        if (!values.target) throw new UsageError(`policy compile needs --target (${TARGETS.join(", ")})`);
        process.stdout.write(compileFor(f, values.target, values.device, values.mode));
        return 0;
      }
      const captures = positionals.slice(1);
      if (captures.length === 0) throw new UsageError("policy simulate needs at least one CAPTURE");
      process.stdout.write(`${renderSimulation(await simulateCaptures(f, captures), format(), values.wide === true)}\n`);
      return 0;
    }
    throw new UsageError(`policy needs learn, list, show, diff, approve, reject, enforce, compile or simulate${sub ? `, not "${sub}"` : ""}`);
  },
});
