import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, type Page, chromium } from "playwright-core";
import { DEFAULT_LAB, generateLab } from "../src/lab/generate.js";
import { HAVE_CORPUS, ROOT, corpus, runCli, tmpDir } from "./helpers.js";
import { type Serving, serve, waitFor } from "./serve-process.js";
import { NO_RADCLIENT, NasStandIn, radclient } from "./radius-peers.js";

const CHROMIUM = "/usr/bin/chromium";
const SECRET = "console-test-secret";
const skip = NO_RADCLIENT ? NO_RADCLIENT : !existsSync(CHROMIUM) ? "Debian's chromium is not installed (.ci/run installs it)"
  : !existsSync(join(ROOT, "dist", "console", "index.html")) ? "the console is not built (npm run build)" : false;

/** Where the screenshots go: a person looks at them (dist/ is not committed). */
const SHOTS = join(ROOT, "dist", "test-output", "console");

/**
 * The console in a real browser (Debian's Chromium, driven by playwright-core) against a
 * `cordon serve` on a lab site: people log in and do their work, each as their role allows.
 */
describe("the console in Chromium", { skip, timeout: 300_000 }, () => {
  const dir = tmpDir("cordon-console-");
  const db = join(dir, "c.db");
  const passwords: Record<string, string> = {};
  let s: Serving | undefined;
  let browser: Browser | undefined;
  let base = "";
  let plc = "";
  let camera = "";
  let cameras = 0;
  let devices = 0;
  let viewerToken = "";
  let nas: NasStandIn | undefined;
  /** A MAC's RADIUS request as an access switch sends it for MAB. */
  const mab = (port: number, mac: string, portId: string): Promise<{ code?: string; attrs: Record<string, string[]> }> => radclient(port, "auth", SECRET, [
    `User-Name = "${mac.replace(/:/g, "")}"`, `Calling-Station-Id = "${mac.replace(/:/g, "-").toUpperCase()}"`, "Service-Type = Call-Check", `NAS-Port-Id = "${portId}"`, "Message-Authenticator = 0x00"]);

  before(async () => {
    mkdirSync(join(dir, "lab"));
    const lab = generateLab(join(dir, "lab"), { ...DEFAULT_LAB, devices: 60, durationS: 900, seed: 4, scenarios: ["port-scan", "plc-stop"] });
    assert.equal(runCli(["analyze", "--db", db, lab.pcap]).status, 0);
    const list = JSON.parse(runCli(["devices", "--db", db, "--format", "json"]).stdout) as { mac: string | null; category: string }[];
    devices = list.length;
    cameras = list.filter((d) => d.category === "camera").length;
    camera = list.find((d) => d.category === "camera" && d.mac)!.mac!;
    plc = list.find((d) => d.category === "plc" && d.mac)!.mac!;
    for (const [name, role] of [["root-admin", "admin"], ["nina", "network"], ["otto", "ot-engineer"], ["ana", "analyst"], ["vic", "viewer"]] as const) {
      passwords[name] = `${name.length} steps along the ward at night`;
      assert.equal(runCli(["user", "add", name, "--role", role, "--password-stdin", "--db", db], Buffer.from(`${passwords[name]}\n`)).status, 0);
    }
    viewerToken = runCli(["token", "add", "--user", "vic", "--name", "test", "--expires", "1", "--db", db]).stdout.trim();
    // The site's first policy is approved (RADIUS gives its groups their VLANs); a second, which
    // manages every device, waits for an OT engineer in the console.
    assert.equal(runCli(["policy", "learn", "--db", db]).status, 0);
    assert.equal(runCli(["policy", "approve", "1", "--db", db, "--reason", "reviewed at commissioning"]).status, 0);
    assert.equal(runCli(["policy", "learn", "--all", "--db", db]).status, 0);
    const config = join(dir, "serve.yaml");
    // A NAS stand-in on loopback takes the CoA a quarantine sends.
    nas = await new NasStandIn(SECRET, (r) => ({ code: r.code === "CoA-Request" ? "CoA-ACK" : "Disconnect-ACK" })).start();
    writeFileSync(config, [
      `db: ${db}`, "persist_interval_s: 1",
      "nac:", "  host: 127.0.0.1", "  auth_port: 0", "  acct_port: 0", "  vlans: { onboarding: 900, quarantine: 666 }", "  group_vlans: { plc: 30, camera: 20 }",
      "  coa: { timeout_ms: 500, retries: 2 }", `  nas: [ { name: access-1, address: 127.0.0.1, secret: ${SECRET}, vendor: cisco, coa_port: ${nas.port} } ]`,
      "respond:", "  quarantine: coa", `  evidence_dir: ${join(dir, "evidence")}`,
    ].join("\n"));
    s = await serve(["--config", config]);
    // The PLC and a camera authenticate at the switch: their sessions, and the VLANs RADIUS gives them.
    const radiusPort = s.logs.find((l) => l.msg === "radius listener bound")!.auth as number;
    assert.deepEqual((await mab(radiusPort, plc, "GigabitEthernet1/0/3")).attrs["Tunnel-Private-Group-Id"], ["30"]);
    assert.deepEqual((await mab(radiusPort, camera, "GigabitEthernet1/0/4")).attrs["Tunnel-Private-Group-Id"], ["20"]);
    base = `http://127.0.0.1:${s.httpPort}`;
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });

  after(async () => {
    nas?.close();
    await browser?.close();
    s?.child.kill("SIGTERM");
    await s?.exit;
  });

  async function signIn(name: string): Promise<Page> {
    const page = await browser!.newPage({ viewport: { width: 1366, height: 800 } });
    await page.goto(`${base}/`);
    await page.getByLabel("Name").fill(name);
    await page.getByLabel("Password").fill(passwords[name]);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByText(`${name} (`).waitFor();
    return page;
  }

  it("an analyst logs in, sees the overview and the inventory, filters it, and opens a device with its verdict evidence", async () => {
    const page = await signIn("ana");
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    await page.getByText(`${devices} devices`, { exact: false }).first().waitFor();
    // The alerts of the lab's day drawn (uPlot's canvas), and each source's health: RADIUS has answered the switch.
    await page.locator(".chart canvas").waitFor();
    const sources = page.getByRole("region", { name: "Sources and health" });
    await sources.locator("tr", { hasText: "radius" }).getByText("receiving").waitFor();
    assert.match(await sources.innerText(), /Worker ok; database up/);
    await page.screenshot({ path: join(SHOTS, "overview.png"), fullPage: true });

    const start = Date.now();
    await page.goto(`${base}/#/devices`);
    await page.getByText(`${devices} of ${devices} devices`).waitFor();
    const interactiveMs = Date.now() - start;
    process.stdout.write(`# console: inventory of ${devices} devices interactive in ${interactiveMs} ms\n`);
    await page.getByLabel("Category").selectOption("camera");
    await page.getByText(`${cameras} of ${devices} devices`).waitFor();
    assert.equal(await page.locator(".body [role=row]").count(), cameras);
    await page.getByLabel("VLAN").selectOption("20");
    await page.getByText(`1 of ${devices} devices`).waitFor();
    assert.equal(await page.locator(".body [role=row]").first().getByRole("link").innerText(), camera, "the camera RADIUS put in VLAN 20");
    await page.screenshot({ path: join(SHOTS, "inventory.png") });

    await page.getByRole("link", { name: camera }).click();
    await page.getByRole("heading", { name: "Verdict", exact: true }).waitFor();
    const verdict = await page.locator("section.card").first().innerText();
    assert.match(verdict, /Category\s+camera/);
    assert.ok(await page.locator(".evidence li code").count() > 0, "the rules behind the verdict");
    assert.equal(await page.getByRole("button", { name: "Set" }).count(), 0, "an analyst sets no criticality");
    const flows = page.getByRole("region", { name: "Flows" });
    await flows.locator("tbody tr").first().waitFor();
    assert.ok(await flows.locator("tbody tr").count() > 0, "the camera's flows");
    const peers = page.getByRole("region", { name: "Peers" });
    await peers.locator("tbody tr").first().waitFor();
    assert.match(await peers.innerText(), /initiates/, "whom the camera talks to");
    assert.match(await page.locator("section.card", { has: page.getByRole("heading", { name: "Baseline" }) }).innerText(), /(not )?mature: /);
    const policy = page.locator("section.card", { has: page.getByRole("heading", { name: "Policy" }) });
    await policy.getByText("governs this device").waitFor();
    assert.match(await policy.innerText(), /learned-default v1 \(approved, monitor\).*group category:camera/);
    assert.ok(await policy.locator("tbody tr").count() > 0, "the rules that name its group");
    await policy.getByText("access-1 port GigabitEthernet1/0/4").waitFor();
    await page.screenshot({ path: join(SHOTS, "device.png"), fullPage: true });
    await page.close();
  });

  it("a viewer sees the vulnerable devices by risk, the end-of-life register, and a device's firmware, CVEs and exposure", { skip: HAVE_CORPUS ? false : "corpus absent" }, async () => {
    assert.equal(runCli(["vulns", "import", "--db", db, corpus("cisagov-CSAF/csaf_files/OT/white/2024/icsa-24-284-01.json"), corpus("CVEProject-cvelistV5"), corpus("cisagov-kev-data")]).status, 0);
    // A PLC the CMDB knows and the capture never showed: an S7-1200 on V4.4.0.
    const cmdb = join(dir, "cmdb.csv");
    writeFileSync(cmdb, "ip,vendor,product,model,firmware\n10.20.9.9,Siemens,SIMATIC S7-1200 CPU 1214C DC/DC/DC,6ES7214-1AG40-0XB0,V4.4.0\n");
    assert.equal(runCli(["assets", "import", "--db", db, cmdb]).status, 0);
    const review = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
    assert.equal(runCli(["eol", "set", "--db", db, "--device", "10.20.9.9", "--decision", "isolate", "--owner", "line 3 OT lead", "--rationale", "no update before the shutdown", "--review", review]).status, 0);
    const page = await signIn("vic");
    await page.goto(`${base}/#/vulnerabilities`);
    await page.getByRole("heading", { name: "Vulnerabilities" }).waitFor();
    const row = page.getByRole("table", { name: "Vulnerable devices" }).locator("tbody tr", { hasText: "ip:10.20.9.9" });
    await row.waitFor();
    assert.match(await row.innerText(), /SIMATIC S7-1200 CPU 1214C DC\/DC\/DC\s+V4\.4\.0\s+CVE-2022-38465 CVE-2024-46886/);
    const register = page.getByRole("table", { name: "End-of-life register" });
    assert.match(await register.innerText(), new RegExp(`ip:10\\.20\\.9\\.9\\s+isolate\\s+line 3 OT lead\\s+${review}\\s+review-due-soon`));
    await page.screenshot({ path: join(SHOTS, "vulnerabilities.png"), fullPage: true });
    await row.getByRole("link").click();
    const card = page.locator("section.card", { has: page.getByRole("heading", { name: "Firmware and vulnerabilities" }) });
    await card.getByRole("list", { name: "CVEs" }).locator("li").first().waitFor();
    const text = await card.innerText();
    assert.match(text, /Firmware\s+V4\.4\.0/);
    assert.match(text, /firmware = V4\.4\.0 \[asset\.firmware\]/);
    assert.match(text, /CVE-2024-46886.*model number 6ES7214-1AG40-0XB0/);
    assert.match(text, /End of life\s+isolate, owner line 3 OT lead/);
    // Never seen on the wire, so unclassified: standard criticality; no policy manages it, so the outside reaches it.
    assert.match(text, /Risk\s+33: standard × 0\.65 \(CVE-2022-38465 CVSS 9\.3\) × 1 \(any reachable from outside the site \(no policy in force manages it\)\)/);
    assert.match(await card.getByRole("table", { name: "Exposure" }).innerText(), /any\s+\d+ of \d+\s+yes\s+not managed by the policy in force/);
    await page.screenshot({ path: join(SHOTS, "device-vulnerabilities.png"), fullPage: true });
    await page.close();
  });

  it("an OT engineer sees the trust graph, an amplifier's blast radius with the path to each device, and declares an assumption", async () => {
    const page = await signIn("otto");
    await page.goto(`${base}/#/trust`);
    await page.getByRole("heading", { name: "Trust graph" }).waitFor();
    await page.locator(".trust-graph canvas").first().waitFor();
    const amplifiers = page.getByRole("table", { name: "Amplifiers" });
    await amplifiers.locator("tbody tr").first().waitFor();
    assert.equal(await amplifiers.locator("tbody tr").count(), 10, "the top ten, each a button that selects it");
    // The keyboard's way to a node: the list beside the drawing.
    const nodes = page.getByLabel("Node", { exact: true });
    const hmi = await nodes.locator("option", { hasText: "[HMI]" }).first().getAttribute("value");
    await nodes.selectOption(hmi!);
    const controlled = page.getByRole("table", { name: "Controlled devices" });
    await controlled.locator("tbody tr").first().waitFor();
    assert.match(await controlled.innerText(), /HMI-0 .*—operates \(modbus\.write-single-register\) tcp\/502 \[r\d+\]→ m340-\d/);
    await page.getByText(/Blast radius: \d+ devices/).waitFor();
    assert.match(await page.getByRole("table", { name: "Links and evidence" }).innerText(), /operates tcp\/502 \(modbus\.write-single-register\) →.*modbus\.write-single-register to 10\.20\./);
    const form = page.getByRole("form", { name: "Declare an assumption" });
    await form.getByLabel("Statement").fill("the HMI is only used from the control room");
    await form.getByLabel("Owner").fill("process engineer");
    await form.getByLabel("Reason").fill("badge-controlled room");
    await form.getByLabel("Review by").fill(new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10));
    await form.getByRole("button").click();
    await form.getByRole("status").getByText(/assumption \d+ recorded/).waitFor();
    await page.getByRole("table", { name: "Trust assumptions" }).getByText("the HMI is only used from the control room").waitFor();
    await page.screenshot({ path: join(SHOTS, "trust.png"), fullPage: true });
    await page.close();
    const audit = JSON.parse(runCli(["audit", "--db", db, "--format", "json"]).stdout) as { action: string; actor: string; role?: string }[];
    assert.ok(audit.some((e) => e.action === "trust.assume" && e.actor === "otto" && e.role === "ot-engineer"));
  });

  it("the API's queue rows are the alerts without their evidence, and one alert's own answer has it", async () => {
    const call = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
      const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${viewerToken}` } });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    const alerts = (await call("/api/alerts?status=all&limit=1000")).body.items as Record<string, unknown>[];
    assert.ok(alerts.length > 0, "the lab's scan and PLC stop raised alerts");
    const rows = (await call("/api/alerts?status=all&limit=1000&view=row")).body.items as Record<string, unknown>[];
    assert.deepEqual(rows.map((a) => a.id), alerts.map((a) => a.id));
    for (const [i, r] of rows.entries()) {
      const { evidence, ...rest } = alerts[i];
      assert.ok(evidence, "the whole view has the evidence");
      assert.deepEqual(r, rest);
    }
    const one = await call(`/api/alerts/${String(alerts[0].id).slice(0, 12)}`);
    assert.equal(one.status, 200, "a unique prefix names the alert");
    assert.deepEqual(one.body, alerts[0]);
    assert.equal((await call("/api/alerts/zzzz0000")).status, 404);
    assert.equal((await call("/api/alerts/..%2f..")).status, 400);
    assert.equal((await call("/api/alerts?view=wide")).status, 400);
  });

  it("an analyst acknowledges an alert in the queue", async () => {
    const page = await signIn("ana");
    await page.goto(`${base}/#/alerts`);
    const row = page.locator("tr", { hasText: "SYN scan" }).first();
    await row.waitFor();
    // The queue's rows come without evidence: opening one asks for it.
    await row.getByRole("button", { name: /SYN scan/ }).click();
    await row.locator(".evidence li code").first().waitFor();
    await row.getByRole("button", { name: "Acknowledge" }).click();
    await row.getByText("acknowledged").waitFor();
    // A response from the queue: the scanner is the site's engineering workstation, of the
    // physical-process class, so the analyst's quarantine waits for another person.
    page.once("dialog", (d) => void d.accept("scanned the PLCs"));
    await row.getByRole("button", { name: "Quarantine device" }).click();
    await page.getByRole("status").filter({ hasText: /^Response [0-9a-f]{8} waits for another person's approval/ }).waitFor();
    await page.screenshot({ path: join(SHOTS, "alerts.png"), fullPage: true });
    await page.close();
  });

  it("a quarantine of a physical-process device waits: a viewer cannot approve it, an OT engineer does", async () => {
    const nina = await signIn("nina");
    const asked = await nina.evaluate(async (mac) => {
      const session = await (await fetch("/api/session")).json() as { csrf: string };
      const r = await fetch("/api/quarantine", { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": session.csrf }, body: JSON.stringify({ mac, reason: "writes to the PLC out of hours" }) });
      return (await r.json()) as { status: string };
    }, plc);
    assert.equal(asked.status, "proposed", "a PLC is physical-process: another person decides");
    await nina.close();

    const vic = await signIn("vic");
    await vic.goto(`${base}/#/responses`);
    await vic.getByText("writes to the PLC out of hours").first().waitFor();
    assert.equal(await vic.getByRole("button", { name: "Approve quarantine" }).count(), 0);
    await vic.getByText("your role may not decide on responses").first().waitFor();
    await vic.screenshot({ path: join(SHOTS, "responses-viewer.png"), fullPage: true });
    await vic.close();

    const otto = await signIn("otto");
    await otto.goto(`${base}/#/responses`);
    await otto.getByRole("listitem").filter({ hasText: "writes to the PLC out of hours" }).getByRole("button", { name: "Approve quarantine" }).click();
    await otto.getByText("Waiting for a person (1)").waitFor();
    // The quarantine reached the switch: a CoA for the PLC's session, with the secret's authenticators.
    await waitFor(async () => nas!.requests.some((r) => r.code === "CoA-Request" && String(r.attributes["Calling-Station-Id"]).toLowerCase() === plc.replace(/:/g, "-")), "the CoA at the NAS stand-in");
    const coa = nas!.requests.find((r) => r.code === "CoA-Request")!;
    assert.deepEqual([coa.authenticatorOk, coa.messageAuthenticatorOk], [true, true]);
    await otto.screenshot({ path: join(SHOTS, "responses-ot.png"), fullPage: true });
    await otto.close();
    const quarantines = JSON.parse(runCli(["nac", "quarantines", "--db", db, "--format", "json"]).stdout) as { mac: string; by: string; released_at?: string }[];
    assert.ok(quarantines.some((q) => q.mac === plc && q.by === "otto" && !q.released_at), JSON.stringify(quarantines));

    // The PLC is fixed: the OT engineer releases it from the NAC page, and the switch hears of it.
    const release = await signIn("otto");
    await release.goto(`${base}/#/nac`);
    const row = release.getByRole("region", { name: "Quarantined now" }).locator("tr", { hasText: plc });
    await row.waitFor();
    release.once("dialog", (d) => void d.accept("firmware restored, PLC checked on site"));
    const coas = nas!.requests.filter((r) => r.code === "CoA-Request").length;
    await row.getByRole("button", { name: "Release" }).click();
    await release.getByRole("status").filter({ hasText: new RegExp(`^${plc} released: `) }).waitFor();
    await release.getByRole("region", { name: "Quarantined now" }).getByText("none").waitFor();
    await waitFor(async () => nas!.requests.filter((r) => r.code === "CoA-Request").length > coas, "the release's CoA at the NAS stand-in");
    assert.match(await release.getByRole("region", { name: "Sessions" }).innerText(), /GigabitEthernet1\/0\/3\s+authorized\s+\d{4}-\d\d-\d\dT/, "each session with when it was last heard of");
    await release.screenshot({ path: join(SHOTS, "nac.png"), fullPage: true });
    await release.close();
  });

  it("an OT engineer approves the learned policy; the audit page shows who did what in which role", async () => {
    const page = await signIn("otto");
    await page.goto(`${base}/#/policies`);
    const row = page.locator("tr", { hasText: "proposed" }).first();
    await row.getByRole("button", { name: "Changes" }).click();
    const changes = await page.getByRole("region", { name: "Changes" }).innerText();
    assert.match(changes, /Policy 2: what it changes against policy 1/);
    assert.match(changes, /\+ managed: /, "the reviewer reads the devices it adds");
    assert.match(changes, /\+ rule category:workstation -> /, "and the rules");
    // Simulated against the traffic the store holds, then compiled for nftables and saved.
    await row.getByRole("button", { name: "Simulate" }).click();
    const sim = await page.getByRole("region", { name: "Simulation" }).innerText();
    const [, flows, allowed, dropped] = /(\d+) flows, (\d+) allowed, (\d+) would be dropped/.exec(sim) ?? [];
    assert.ok(Number(flows) > 0 && Number(allowed) + Number(dropped) === Number(flows), sim.slice(0, 200));
    const saving = page.waitForEvent("download");
    await row.getByRole("button", { name: "Download nftables" }).click();
    const saved = await saving;
    assert.equal(saved.suggestedFilename(), "learned-default-v2-nftables.txt");
    const text = readFileSync(await saved.path(), "utf8");
    assert.equal(text, runCli(["policy", "compile", "--policy", "2", "--target", "nftables", "--db", db]).stdout);
    await row.getByRole("button", { name: "Approve" }).click();
    await page.locator("tr", { hasText: "approved" }).first().waitFor();
    await page.screenshot({ path: join(SHOTS, "policies.png"), fullPage: true });
    await page.goto(`${base}/#/audit`);
    await page.locator("tr", { hasText: "policy.approve" }).filter({ hasText: "ot-engineer" }).first().waitFor();
    await page.screenshot({ path: join(SHOTS, "audit.png"), fullPage: true });
    await page.close();
  });
});
