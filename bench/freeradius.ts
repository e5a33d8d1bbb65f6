import type { ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * FreeRADIUS as the benchmarks run it: a configuration of its own in `dir` (nothing of
 * /etc/freeradius), one client (127.0.0.1 with `secret`, Message-Authenticator required),
 * four threads, logging to stderr, listening on `port`; the caller gives the modules and the
 * authorize, authenticate and post-auth sections.
 */
export function writeFreeradiusConf(dir: string, o: { port: number; secret: string; modules: string; authorize: string; authenticate?: string; postAuth?: string; extraPaths?: string }): void {
  mkdirSync(join(dir, "run"), { recursive: true });
  writeFileSync(join(dir, "radiusd.conf"), `prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = ${dir}
raddbdir = ${dir}
radacctdir = ${dir}
name = freeradius
confdir = \${raddbdir}
modconfdir = \${confdir}
run_dir = ${dir}/run
db_dir = \${raddbdir}
libdir = /usr/lib/freeradius
pidfile = \${run_dir}/radiusd.pid
${o.extraPaths ?? ""}
max_request_time = 30
cleanup_delay = 5
max_requests = 65536
hostname_lookups = no
log {
	destination = stderr
	auth = no
}
security {
	max_attributes = 200
	reject_delay = 0
	status_server = yes
}
thread pool {
	start_servers = 4
	max_servers = 4
	min_spare_servers = 1
	max_spare_servers = 4
	max_requests_per_server = 0
}
client localhost {
	ipaddr = 127.0.0.1
	secret = ${o.secret}
	require_message_authenticator = yes
}
modules {
${o.modules}
}
server default {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = ${o.port}
	}
	authorize {
${o.authorize}
	}
	authenticate {
${o.authenticate ?? ""}
	}
${o.postAuth ? `	post-auth {\n${o.postAuth}\n	}` : ""}
}
`);
}

/** Stops a server the bench started and waits for it to exit. */
export function stopChild(c: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (c.exitCode !== null) return r();
    c.once("exit", () => r());
    c.kill("SIGTERM");
  });
}
