import { askServe } from "../respond.js";
import { command } from "../command.js";

export default command({
  name: "release",
  summary: "take a device out of quarantine (through the running serve)",
  help: `Usage: cordon release MAC --reason TEXT [--site NAME] [--server URL] [--db PATH]

Ends a device's quarantine through the running 'cordon serve': logged with who and why, then
a CoA (or the nftables quarantine reloaded without it) so it is authorised as before.

Exit status: 0 released now; 3 off the quarantine list, so its next authentication is
answered as before, but the CoA that would make it re-authenticate now did not go through;
1 not released; 2 bad usage.`,
  options: {
    db: { type: "string" },
    reason: { type: "string" },
    server: { type: "string" },
    site: { type: "string" },
  },
  async run({ values, positionals }) {
    const rel = (await askServe("release", values, positionals)) as { quarantine: { mac: string; since: string }; enforcement: string; now: boolean };
    process.stdout.write(`${rel.quarantine.mac} released (in quarantine since ${rel.quarantine.since}); ${rel.enforcement}\n`);
    return rel.now ? 0 : 3;
  },
});
