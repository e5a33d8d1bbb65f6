import type { Command } from "../command.js";
import alerts from "./alerts.js";
import assets from "./assets.js";
import analyze from "./analyze.js";
import audit from "./audit.js";
import baseline from "./baseline.js";
import ca from "./ca.js";
import certs from "./certs.js";
import device from "./device.js";
import devices from "./devices.js";
import enroll from "./enroll.js";
import eol from "./eol.js";
import evalCommand from "./eval.js";
import flows from "./flows.js";
import lab from "./lab.js";
import maintenance from "./maintenance.js";
import mud from "./mud.js";
import nac from "./nac.js";
import override from "./override.js";
import policy from "./policy.js";
import quarantine from "./quarantine.js";
import release from "./release.js";
import respond from "./respond.js";
import secret from "./secret.js";
import serve from "./serve.js";
import snmp from "./snmp.js";
import suppress from "./suppress.js";
import token from "./token.js";
import trust from "./trust.js";
import train from "./train.js";
import user from "./user.js";
import vulns from "./vulns.js";

/** Every `cordon` command, in the order `cordon --help` lists them. */
export const COMMANDS: readonly Command[] = [
  analyze, devices, device, flows, evalCommand, train, lab, alerts, suppress, maintenance, baseline, policy, mud, serve,
  quarantine, release, respond, audit, nac, override, user, token, assets, vulns, eol, trust, ca, enroll, certs, snmp, secret,
];
