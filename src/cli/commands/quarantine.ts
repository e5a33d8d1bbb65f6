import { DEFAULT_SERVER, type ServedResponse, askServe, renderResponse } from "../respond.js";
import { command } from "../command.js";

export default command({
  name: "quarantine",
  summary: "put a device in quarantine now (through the running serve)",
  help: `Usage: cordon quarantine MAC --reason TEXT [--site NAME] [--server URL] [--db PATH]

Asks the running 'cordon serve' to quarantine the device now: its recent packets are written
as evidence (pcapng), it goes on the quarantine list (its next MAB gets the quarantine VLAN
and ACL), a CoA goes to its NAS (or the nftables quarantine is loaded, as configured), and the
outputs are told. A person's request needs no further approval, whatever the device's class.
--server (or CORDON_SERVER) names the serve's HTTP endpoint (default ${DEFAULT_SERVER}). Its
bearer token is CORDON_TOKEN, else the file DB.token that serve made beside its database
(--db). The operating-system user running the command is recorded as who acted.

Exit status: 0 the quarantine is in effect now; 3 it is on the quarantine list and takes
effect at the device's next authentication, but the CoA that would make it re-authenticate
now did not go through (the output says why); 4 it is proposed and waits for another
person's approval (a device of a life-safety/physical-process class: four-eyes); 1 it is
not in effect; 2 bad usage.`,
  options: {
    db: { type: "string" },
    reason: { type: "string" },
    server: { type: "string" },
    site: { type: "string" },
  },
  async run({ values, positionals }) {
    const r = (await askServe("quarantine", values, positionals)) as ServedResponse;
    process.stdout.write(`${renderResponse(r)}\n`);
    return r.status === "done" ? 0 : r.status === "next-auth" ? 3 : r.status === "proposed" ? 4 : 1;
  },
});
