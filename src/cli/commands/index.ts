import type { Command } from "../command.js";

/**
 * Every `cordon` command by name, in the order `cordon --help` lists them, each loaded only
 * when it runs: a command's module brings what it uses (the PKI, the HTTP server, PostgreSQL's
 * client), and loading all of them cost every `cordon` call about 0.2 s before it began
 * (`cordon analyze` of the 2M-packet bench capture: 0.43 s of start-up against 0.19 s).
 */
export const COMMANDS: ReadonlyMap<string, () => Promise<{ default: Command }>> = new Map([
  ["analyze", () => import("./analyze.js")],
  ["devices", () => import("./devices.js")],
  ["device", () => import("./device.js")],
  ["flows", () => import("./flows.js")],
  ["eval", () => import("./eval.js")],
  ["train", () => import("./train.js")],
  ["lab", () => import("./lab.js")],
  ["alerts", () => import("./alerts.js")],
  ["suppress", () => import("./suppress.js")],
  ["maintenance", () => import("./maintenance.js")],
  ["baseline", () => import("./baseline.js")],
  ["policy", () => import("./policy.js")],
  ["mud", () => import("./mud.js")],
  ["serve", () => import("./serve.js")],
  ["quarantine", () => import("./quarantine.js")],
  ["release", () => import("./release.js")],
  ["respond", () => import("./respond.js")],
  ["audit", () => import("./audit.js")],
  ["nac", () => import("./nac.js")],
  ["override", () => import("./override.js")],
  ["user", () => import("./user.js")],
  ["token", () => import("./token.js")],
  ["assets", () => import("./assets.js")],
  ["vulns", () => import("./vulns.js")],
  ["eol", () => import("./eol.js")],
  ["trust", () => import("./trust.js")],
  ["ca", () => import("./ca.js")],
  ["enroll", () => import("./enroll.js")],
  ["certs", () => import("./certs.js")],
  ["snmp", () => import("./snmp.js")],
  ["secret", () => import("./secret.js")],
]);

/** Every command, loaded: for `cordon --help`'s list and for tests that go through them all. */
export async function allCommands(): Promise<Command[]> {
  return Promise.all([...COMMANDS.values()].map(async (load) => (await load()).default));
}
