import { execFileSync, spawnSync } from "node:child_process";

/**
 * Three test hosts in network namespaces this test creates: a camera (10.0.0.5), a router
 * forwarding between 10.0.0.0/24 and 10.0.1.0/24, and an NVR (10.0.1.7). Needs root and ip.
 */
export interface ThreeHosts {
  cam: string;
  router: string;
  nvr: string;
  /** Runs a command in one of the namespaces. */
  inNs(ns: string, ...a: string[]): void;
  /** Whether a TCP connection from the camera to the NVR's port completes within a second. */
  connects(port: number): boolean;
  teardown(): void;
}

export function threeHosts(tag: string): ThreeHosts {
  const [cam, router, nvr] = ["cam", "rtr", "nvr"].map((n) => `${tag}${n}`);
  const sh = (...a: string[]): void => {
    execFileSync(a[0], a.slice(1), { stdio: "ignore" });
  };
  const inNs = (ns: string, ...a: string[]): void => sh("ip", "netns", "exec", ns, ...a);
  const teardown = (): void => {
    for (const ns of [cam, router, nvr]) spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
  };
  teardown();
  for (const ns of [cam, router, nvr]) {
    sh("ip", "netns", "add", ns);
    sh("ip", "-n", ns, "link", "set", "lo", "up");
  }
  sh("ip", "-n", cam, "link", "add", "ra", "type", "veth", "peer", "name", "ca", "netns", router);
  sh("ip", "-n", nvr, "link", "add", "rb", "type", "veth", "peer", "name", "nb", "netns", router);
  sh("ip", "-n", cam, "addr", "add", "10.0.0.5/24", "dev", "ra");
  sh("ip", "-n", router, "addr", "add", "10.0.0.1/24", "dev", "ca");
  sh("ip", "-n", router, "addr", "add", "10.0.1.1/24", "dev", "nb");
  sh("ip", "-n", nvr, "addr", "add", "10.0.1.7/24", "dev", "rb");
  for (const [ns, dev] of [[cam, "ra"], [router, "ca"], [router, "nb"], [nvr, "rb"]]) sh("ip", "-n", ns, "link", "set", dev, "up");
  sh("ip", "-n", cam, "route", "add", "default", "via", "10.0.0.1");
  sh("ip", "-n", nvr, "route", "add", "default", "via", "10.0.1.1");
  inNs(router, "sysctl", "-qw", "net.ipv4.ip_forward=1");
  const connects = (port: number): boolean => {
    const r = spawnSync("ip", ["netns", "exec", cam, process.execPath, "-e",
      `const s=require("net").connect(${port},"10.0.1.7",()=>{process.exit(0)});s.on("error",()=>process.exit(2));setTimeout(()=>process.exit(1),1000)`]);
    return r.status === 0;
  };
  return { cam, router, nvr, inNs, connects, teardown };
}

/**
 * A namespace of its own with a veth pair: serve captures on `cva`, tcpreplay sends on `cvb`.
 * No IPv6 (so the kernel sends nothing of its own on the pair), MTU 65,535 (captures hold
 * frames larger than 1,500 bytes from segmentation offload). Deleted after `run`.
 */
export async function withReplayPair<T>(ns: string, run: () => Promise<T>): Promise<T> {
  const ip = (...a: string[]): void => {
    execFileSync("ip", a, { stdio: "ignore" });
  };
  spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
  ip("netns", "add", ns);
  try {
    ip("-n", ns, "link", "add", "cva", "type", "veth", "peer", "name", "cvb");
    for (const k of ["all", "default", "cva", "cvb"]) ip("netns", "exec", ns, "sysctl", "-qw", `net.ipv6.conf.${k}.disable_ipv6=1`);
    for (const dev of ["cva", "cvb"]) ip("-n", ns, "link", "set", dev, "mtu", "65535", "up");
    return await run();
  } finally {
    spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
  }
}
