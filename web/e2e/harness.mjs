// Shared set-up of the browser tests: the local server's address and admin
// token (from the Go test that started it, cmd/devserver/browser_test.go),
// a headless Debian chromium driven by playwright-core, API calls, and
// screenshots into the artifacts folder.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { chromium } from "playwright-core";

export const base = process.env.SLOTBOOK_URL;
export const token = process.env.SLOTBOOK_TOKEN;
export const artifacts = process.env.SLOTBOOK_ARTIFACTS || path.resolve("../.build/e2e");
export const company = "demo";
if (!base || !token) throw new Error("SLOTBOOK_URL and SLOTBOOK_TOKEN must be set: run the browser tests through go test ./cmd/devserver -run TestBrowser");
mkdirSync(artifacts, { recursive: true });

/** launch starts the headless browser. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.SLOTBOOK_CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
  });
}

/**
 * page opens a page in a new context (zone, language, viewport) and fails
 * the test on any uncaught page error or console error.
 */
export async function page(browser, t, opts = {}) {
  const ctx = await browser.newContext({
    timezoneId: "Europe/Zurich", locale: "en-GB", viewport: { width: 1280, height: 860 }, acceptDownloads: true, ...opts,
  });
  const p = await ctx.newPage();
  const errors = [];
  p.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  p.on("console", (m) => {
    // A failed fetch that the page handles (409, 503) is logged by chromium itself; only script errors count.
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  t.after(async () => {
    await ctx.close();
    assert.deepEqual(errors, [], "the page logged errors");
  });
  return p;
}

/** api calls the API as the demo company's admin (or with headers given). */
export async function api(method, pathname, body, headers = {}) {
  const res = await fetch(`${base}/v1/companies/${company}${pathname}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

// axe-core, pinned in package.json, as the browser evaluates it.
const axeSource = readFileSync(path.resolve("node_modules/axe-core/axe.min.js"), "utf8");

/**
 * audited lists the states audit has checked, in order. When the test file
 * ends, it is written to the artifacts' audited folder, where the Go test
 * that runs the browser tests holds it to the states that must be audited
 * (e2e/audited-states.txt): a state the tests stop auditing shows there.
 */
export const audited = [];
process.on("exit", () => {
  const dir = path.join(artifacts, "audited");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify(audited));
});

/**
 * audit checks the page's current state with axe-core's WCAG 2.1 A and AA
 * rules and fails the test on any serious or critical violation, naming
 * state (with " (phone)" at a phone's width). Every state a test shows
 * calls it. axe-core is evaluated through
 * the DevTools protocol, which the pages' Content-Security-Policy does not
 * govern, so the pages are audited with their real policy.
 */
export async function audit(p, state) {
  const width = p.viewportSize()?.width;
  if (width && width < 600) state += " (phone)";
  if (!(await p.evaluate(() => typeof window.axe === "object"))) await p.evaluate(axeSource);
  // Experimental rules too: WCAG 2.5.3 "Label in Name" (label-content-name-mismatch) is one.
  const wcag = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
  const res = await p.evaluate((tags) => window.axe.run(document, {
    runOnly: { type: "tag", values: [...tags, "experimental"] }, resultTypes: ["violations"],
  }), wcag);
  audited.push(state);
  const bad = res.violations.filter((v) => (v.impact === "serious" || v.impact === "critical") && v.tags.some((x) => wcag.includes(x)))
    .map((v) => `${v.id} (${v.impact}, ${v.nodes.length}×): ${v.help}; e.g. ${v.nodes[0].target.join(" ")}: ${v.nodes[0].failureSummary}`);
  assert.deepEqual(bad, [], `axe-core, WCAG 2.1 A/AA, in ${state}`);
}

/** shot saves a screenshot of the page (or of a locator) as an artifact. */
export async function shot(target, name) {
  const file = path.join(artifacts, `${name}.png`);
  await target.screenshot({ path: file });
  return file;
}

/**
 * openWeek walks the widget to the week of free times of service and
 * employee ("" for anyone), moving on a week while the shown one has fewer
 * than three free times left, and returns the button of its third free time.
 * Three, not one: the minimum notice may pass the first while the test runs,
 * and a test that loses its time (a 409) needs others left in the same week —
 * late on a Friday the current week may hold only one.
 */
export async function openWeek(p, service, employee) {
  await p.goto(`${base}/widget/`);
  await p.locator(`button[data-service="${service}"]`).waitFor();
  await audit(p, "widget: services");
  await p.locator(`button[data-service="${service}"]`).click();
  // A service that one employee offers skips the choice of employee.
  await p.locator("button.choice[data-employee], nav.weeknav").first().waitFor();
  const who = p.locator(`button.choice[data-employee="${employee}"]`);
  if (await who.count()) {
    await audit(p, "widget: people");
    await who.click();
  }
  for (let i = 0; i < 4; i++) {
    await p.locator(".day").first().waitFor();
    await audit(p, "widget: week of free times");
    // Not the first free time: the minimum notice may pass it while the test runs.
    const slots = p.locator("button.slot");
    const n = await slots.count();
    if (n >= 3) {
      // WCAG 2.5.3, label in name: the accessible name starts with the visible text.
      const slot = slots.nth(2), label = await slot.getAttribute("aria-label");
      assert.ok(label.startsWith((await slot.textContent()).trim() + ", "), `slot label ${label}`);
      return slot;
    }
    await p.getByRole("button", { name: /Next week|Nächste Woche/ }).click();
  }
  throw new Error("no week with three free slots within four weeks");
}

/** fillDetails fills the customer form of the widget. */
export async function fillDetails(p, name) {
  await p.getByLabel("Name").fill(name);
  await p.getByLabel("E-mail").fill("erika@example.org");
  await p.getByLabel("Phone (optional)").fill("+41 44 123 45 67");
  await p.getByLabel("Notes (optional)").fill("First visit");
  await audit(p, "widget: details form");
}

/**
 * toForm walks the widget to the customer form of the first free slot and
 * fills it in; it returns the slot's start.
 */
export async function toForm(p, service, employee, name) {
  const slot = await openWeek(p, service, employee);
  const start = await slot.getAttribute("data-start");
  await slot.click();
  await fillDetails(p, name);
  return start;
}

/** around returns the date of an RFC 3339 time and that date ± n days. */
export function around(iso, n = 1) {
  const d = new Date(iso.slice(0, 10) + "T12:00:00Z");
  const f = (k) => new Date(d.getTime() + k * 86400000).toISOString().slice(0, 10);
  return { date: iso.slice(0, 10), from: f(-n), to: f(n) };
}

/**
 * serve starts a local HTTP server with handler for the test (a calendar
 * feed, a company's site, a sign-in provider) and stops it when the test
 * ends; it returns the server's origin and a stop for ending it earlier.
 */
export async function serve(t, handler) {
  const srv = http.createServer(handler);
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  let stopped = null;
  const stop = () => (stopped ||= new Promise((r) => { srv.close(r); srv.closeAllConnections(); }));
  t.after(stop);
  return { origin: `http://127.0.0.1:${srv.address().port}`, stop };
}
