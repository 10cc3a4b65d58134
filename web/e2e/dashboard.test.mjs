// The dashboard in a real chromium: the settings pages write what the API
// then answers, external calendars show as busy blocks or titles, the day
// view, and what a staff member may see.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import http from "node:http";
import { after, before, test } from "node:test";
import { api, base, launch, page, shot, token } from "./harness.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** signIn opens the dashboard with a token, as the local server's link does. */
async function signIn(t, jwt = token) {
  const p = await page(browser, t);
  await p.goto(`${base}/dashboard/#token=${jwt}`);
  await p.getByRole("button", { name: "Sign out" }).waitFor();
  return p;
}

/** staffToken signs a local-mode token for a staff member (the dev secret, as make dev uses). */
function staffToken(sub) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub, "custom:company": "demo", "custom:role": "staff", iat: now, exp: now + 3600 })}`;
  return `${body}.${createHmac("sha256", "dev-secret").update(body).digest("base64url")}`;
}

/** zurichDate is today's date in the company's zone, plus n days. */
function zurichDate(n = 0) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Zurich" }).format(new Date(Date.now() + n * 86400000));
}

test("company settings are saved, the support switch included", async (t) => {
  const before = (await api("GET", "/settings")).body;
  t.after(() => api("PUT", "/settings", { ...before, id: undefined }));
  const p = await signIn(t);
  await p.goto(`${base}/dashboard/#/settings`);
  await p.getByLabel("Booking interval (minutes)").fill("20");
  await p.getByLabel(/support team/).setChecked(!before.supportAccess);
  await p.getByRole("button", { name: "Save settings" }).click();
  await p.getByText("Settings saved").waitFor();
  const now = (await api("GET", "/settings")).body;
  assert.equal(now.bookingIntervalMinutes, 20);
  assert.equal(now.supportAccess, !before.supportAccess);

  // Bad input: the field's own message, nothing stored.
  await p.getByLabel("Booking interval (minutes)").fill("3");
  await p.getByRole("button", { name: "Save settings" }).click();
  await p.locator('[role=alert]:not(:empty)').first().waitFor();
  assert.equal((await api("GET", "/settings")).body.bookingIntervalMinutes, 20);
});

test("an employee with weekly hours, an override and an absence shows in the week view", async (t) => {
  t.after(() => api("DELETE", "/employees/e2e-cleo"));
  const p = await signIn(t);
  await p.goto(`${base}/dashboard/#/employees`);
  await p.getByLabel("Name").fill("Cleo Brunner");
  await p.getByLabel("Id (optional)").fill("e2e-cleo");
  await p.getByRole("button", { name: "Add employee" }).click();
  await p.waitForURL(/#\/employees\/e2e-cleo/);
  await p.getByRole("button", { name: "Add weekly hours" }).click();
  const row = p.locator('select[name="weekly[0].weekday"]');
  await row.selectOption("monday");
  await p.locator('input[name="weekly[0].start"]').fill("09:00");
  await p.locator('input[name="weekly[0].end"]').fill("17:00");
  // The next Monday is an ordinary working day; the one after it a day off.
  let monday = zurichDate(1);
  for (let i = 1; new Date(monday + "T12:00:00Z").getUTCDay() !== 1; i++) monday = zurichDate(i + 1);
  const off = new Date(new Date(monday + "T12:00:00Z").getTime() + 7 * 86400000).toISOString().slice(0, 10);
  await p.getByRole("button", { name: "Add date override" }).click();
  await p.locator('input[name="overrides[0].date"]').fill(off);
  await p.getByRole("button", { name: "Save hours" }).click();
  await p.getByText("Working hours saved").waitFor();
  const av = (await api("GET", "/employees/e2e-cleo/availability")).body;
  assert.deepEqual(av.weekly, [{ weekday: "monday", start: "09:00", end: "17:00" }]);
  assert.deepEqual(av.overrides, [{ date: off, intervals: [] }]);

  // An absence on the next Monday, 10:00–12:00 Zurich time.
  await p.goto(`${base}/dashboard/#/absences?employee=e2e-cleo`);
  await p.getByRole("button", { name: "Add absence" }).waitFor();
  await p.getByLabel("Start").fill(`${monday}T10:00`);
  await p.getByLabel("End").fill(`${monday}T12:00`);
  await p.getByLabel("Reason").fill("Dentist");
  await p.getByRole("button", { name: "Add absence" }).click();
  await p.getByText("Absence added").waitFor();
  const abs = (await api("GET", "/employees/e2e-cleo/absences")).body.absences;
  assert.equal(abs.length, 1);
  assert.equal(abs[0].reason, "Dentist");
  assert.equal(new Date(abs[0].start).toISOString(), new Date(`${monday}T10:00:00${abs[0].start.slice(19)}`).toISOString());
  assert.match(abs[0].start, /^\d{4}-\d\d-\d\dT10:00:00\+0[12]:00$/, "the absence starts at 10:00 Zurich time");

  await p.goto(`${base}/dashboard/#/week?employee=e2e-cleo&date=${monday}`);
  const day = p.locator(`[data-testid="week"] [data-date="${monday}"]`);
  await day.locator("[data-availability]").first().waitFor();
  await day.locator(`[data-absence="${abs[0].id}"]`).waitFor();
  await p.goto(`${base}/dashboard/#/week?employee=e2e-cleo&date=${off}`);
  await p.locator(`[data-testid="week"] [data-date="${off}"]`).waitFor();
  assert.equal(await p.locator(`[data-testid="week"] [data-date="${off}"] [data-availability]`).count(), 0, "the override makes it a day off");
});

test("a service is created for chosen employees and offered by the widget", async (t) => {
  t.after(() => api("DELETE", "/services/e2e-beard"));
  const p = await signIn(t);
  await p.goto(`${base}/dashboard/#/services`);
  await p.getByLabel("Name").fill("Beard trim");
  await p.getByLabel("Id (optional)").fill("e2e-beard");
  await p.getByLabel("Duration (minutes)").fill("20");
  await p.getByLabel("Buffer after (minutes)").fill("5");
  await p.getByRole("group", { name: "Employees" }).getByLabel("Ben Meier").check();
  await p.getByRole("button", { name: "Add service" }).click();
  await p.getByText("Service Beard trim added").waitFor();
  const s = (await api("GET", "/services/e2e-beard")).body;
  assert.deepEqual([s.name, s.durationMinutes, s.bufferAfterMinutes, s.employees], ["Beard trim", 20, 5, ["ben"]]);
  const profile = await fetch(`${base}/v1/companies/demo/profile`).then((r) => r.json());
  assert.ok(profile.services.some((x) => x.id === "e2e-beard"));
});

test("an ICS feed connected in the dashboard shows busy blocks, and titles once allowed", async (t) => {
  const date = zurichDate(1);
  const compact = date.replace(/-/g, "");
  const feed = http.createServer((_, res) => {
    res.writeHead(200, { "Content-Type": "text/calendar" });
    res.end(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//e2e//EN", "BEGIN:VEVENT", "UID:e2e-1@example.org",
      "DTSTAMP:20260101T000000Z", `DTSTART;TZID=Europe/Zurich:${compact}T140000`, `DTEND;TZID=Europe/Zurich:${compact}T150000`,
      "SUMMARY:Parents evening", "END:VEVENT", "END:VCALENDAR", ""].join("\r\n"));
  });
  await new Promise((r) => feed.listen(0, "127.0.0.1", r));
  t.after(() => new Promise((r) => { feed.close(r); feed.closeAllConnections(); }));

  const p = await signIn(t);
  await p.goto(`${base}/dashboard/#/calendars?employee=ben`);
  await p.getByLabel("Feed URL").fill(`http://127.0.0.1:${feed.address().port}/ben.ics`);
  await p.getByRole("button", { name: "Add ICS feed" }).click();
  const card = p.locator("article[data-calendar]");
  await card.waitFor();
  const id = await card.getAttribute("data-calendar");
  t.after(() => api("DELETE", `/employees/ben/calendars/${id}`));
  assert.equal(await card.getByLabel(/Default calendar/).isDisabled(), true, "a feed is read-only");

  await p.goto(`${base}/dashboard/#/week?employee=ben&date=${date}`);
  const block = p.locator(`[data-testid="week"] [data-date="${date}"] [data-external="${id}"]`);
  await block.waitFor();
  assert.doesNotMatch(await block.innerText(), /Parents evening/, "no title until the calendar may show them");

  await p.goto(`${base}/dashboard/#/calendars?employee=ben`);
  await p.locator(`article[data-calendar="${id}"]`).getByLabel("Show event titles in the overview").check();
  await p.getByText("Show event titles in the overview: on").waitFor();
  assert.equal((await api("GET", "/employees/ben/calendars")).body.calendars.find((c) => c.id === id).showInOverview, true);
  await p.goto(`${base}/dashboard/#/week?employee=ben&date=${date}`);
  await p.locator(`[data-testid="week"] [data-date="${date}"] [data-external="${id}"]`, { hasText: "Parents evening" }).waitFor();
  await shot(p, "dashboard-external");
});

test("the day view has a column per employee", async (t) => {
  const p = await signIn(t);
  const date = zurichDate(0);
  await p.goto(`${base}/dashboard/#/day?date=${date}`);
  const day = p.locator('[data-testid="day"]');
  await day.locator('[data-employee="ana"]').waitFor();
  await day.locator('[data-employee="ben"]').waitFor();
  await shot(p, "dashboard-day");
});

test("staff see only themselves and cannot change company settings", async (t) => {
  const p = await signIn(t, staffToken("ana"));
  await p.goto(`${base}/dashboard/#/week`);
  await p.locator('[data-testid="week"]').waitFor();
  const options = await p.getByLabel("Employee").locator("option").allInnerTexts();
  assert.deepEqual(options, ["Ana Keller"]);
  await p.goto(`${base}/dashboard/#/settings`);
  await p.getByLabel("Booking interval (minutes)").waitFor();
  assert.equal(await p.getByLabel("Booking interval (minutes)").isDisabled(), true);
  assert.equal(await p.getByRole("button", { name: "Save settings" }).count(), 0);
});
