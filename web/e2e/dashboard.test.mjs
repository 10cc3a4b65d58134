// The dashboard in a real chromium: the settings pages write what the API
// then answers, external calendars show as busy blocks or titles, the day
// view, and what a staff member may see.
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { after, before, test } from "node:test";
import { api, audit, base, launch, page, serve, shot, token } from "./harness.mjs";

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

/** jwt signs claims as a local-mode token (the dev secret, as make dev uses). */
function jwt(claims, ttl = 3600) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ iat: now, exp: now + ttl, ...claims })}`;
  return `${body}.${createHmac("sha256", "dev-secret").update(body).digest("base64url")}`;
}

/** staffToken is a token of a staff member of the demo company. */
const staffToken = (sub) => jwt({ sub, "custom:company": "demo", "custom:role": "staff" });

/** zurichDate is today's date in the company's zone, plus n days. */
function zurichDate(n = 0) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Zurich" }).format(new Date(Date.now() + n * 86400000));
}

test("company settings are saved, the support switch included", async (t) => {
  const before = (await api("GET", "/settings")).body;
  t.after(() => api("PUT", "/settings", { ...before, id: undefined }));
  const p = await signIn(t);
  await p.goto(`${base}/dashboard/#/settings`);
  await p.getByLabel("Booking interval (minutes)").waitFor();
  await audit(p, "dashboard: settings");
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
  await audit(p, "dashboard: settings with a field error");
  assert.equal((await api("GET", "/settings")).body.bookingIntervalMinutes, 20);
});

test("an employee with weekly hours, an override and an absence shows in the week view", async (t) => {
  t.after(() => api("DELETE", "/employees/e2e-cleo"));
  const p = await signIn(t);
  await p.goto(`${base}/dashboard/#/employees`);
  await p.getByLabel("Name").waitFor();
  await audit(p, "dashboard: employees");
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
  await audit(p, "dashboard: absences");
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
  await audit(p, "dashboard: week");
  await day.locator(`[data-absence="${abs[0].id}"]`).waitFor();
  await p.goto(`${base}/dashboard/#/week?employee=e2e-cleo&date=${off}`);
  await p.locator(`[data-testid="week"] [data-date="${off}"]`).waitFor();
  assert.equal(await p.locator(`[data-testid="week"] [data-date="${off}"] [data-availability]`).count(), 0, "the override makes it a day off");
});

test("a service is created for chosen employees and offered by the widget", async (t) => {
  t.after(() => api("DELETE", "/services/e2e-beard"));
  const p = await signIn(t);
  await p.goto(`${base}/dashboard/#/services`);
  await p.getByLabel("Name").waitFor();
  await audit(p, "dashboard: services");
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
  const feed = await serve(t, (_, res) => {
    res.writeHead(200, { "Content-Type": "text/calendar" });
    res.end(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//e2e//EN", "BEGIN:VEVENT", "UID:e2e-1@example.org",
      "DTSTAMP:20260101T000000Z", `DTSTART;TZID=Europe/Zurich:${compact}T140000`, `DTEND;TZID=Europe/Zurich:${compact}T150000`,
      "SUMMARY:Parents evening", "END:VEVENT", "END:VCALENDAR", ""].join("\r\n"));
  });

  const p = await signIn(t);
  await p.goto(`${base}/dashboard/#/calendars?employee=ben`);
  await p.getByLabel("Feed URL").waitFor();
  await audit(p, "dashboard: calendars");
  await p.getByLabel("Feed URL").fill(`${feed.origin}/ben.ics`);
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

test("an absence of several weeks shows in each week it covers", async (t) => {
  const from = zurichDate(-10), to = zurichDate(30);
  const abs = await api("POST", "/employees/ben/absences", { start: `${from}T00:00:00+01:00`, end: `${to}T00:00:00+01:00`, reason: "Parental leave" });
  assert.equal(abs.status, 201, JSON.stringify(abs.body));
  t.after(() => api("DELETE", `/employees/ben/absences/${abs.body.id}`));
  const p = await signIn(t);
  for (const date of [zurichDate(0), zurichDate(14)]) {
    await p.goto(`${base}/dashboard/#/week?employee=ben&date=${date}`);
    await p.locator(`[data-testid="week"] [data-date="${date}"] [data-absence="${abs.body.id}"]`).first().waitFor();
  }
});

test("a booking is moved in the dashboard to another employee's free time", async (t) => {
  // A day that ana and ben both work (Tuesday to Friday).
  const slots = (await (await fetch(`${base}/v1/companies/demo/slots?service=haircut&employee=ana&from=${zurichDate(1)}&to=${zurichDate(14)}`)).json()).slots
    .filter((s) => [2, 3, 4, 5].includes(new Date(`${s.start.slice(0, 10)}T12:00:00Z`).getUTCDay()));
  const res = await fetch(`${base}/v1/companies/demo/bookings`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ service: "haircut", employee: "ana", start: slots[3].start, customer: { name: "Mo Ved", email: "mo@example.org" } }),
  });
  assert.equal(res.status, 201);
  const booked = await res.json();
  t.after(() => api("DELETE", `/bookings/${booked.id}`));

  const p = await signIn(t);
  await p.goto(`${base}/dashboard/#/week?employee=ana&date=${booked.start.slice(0, 10)}&booking=${booked.id}`);
  await p.getByRole("dialog").getByRole("button", { name: "Move booking" }).waitFor();
  await audit(p, "dashboard: booking dialog");
  await p.getByRole("dialog").getByRole("button", { name: "Move booking" }).click();
  const free = p.locator('[data-testid="free-times"] button[data-start]');
  // Ana's free times that day: its own time does not block a move over it.
  await free.first().waitFor();
  await audit(p, "dashboard: move form");
  const own = new Date(booked.start).getTime();
  const offered = await free.evaluateAll((bs) => bs.map((b) => b.dataset.start));
  assert.ok(offered.some((s) => new Date(s).getTime() !== own && Math.abs(new Date(s).getTime() - own) < 30 * 60000),
    `no time overlapping the booking's own (${booked.start}) is offered: ${offered}`);
  await p.locator("#move-employee").selectOption("ben");
  await p.locator('[data-testid="free-times"]').getByText("Loading free times…").waitFor({ state: "detached" });
  await free.first().waitFor();
  const target = await free.nth(1).getAttribute("data-start");
  await free.nth(1).click();
  await p.getByRole("button", { name: "Move", exact: true }).click();
  await p.getByRole("dialog").waitFor({ state: "detached" });
  const moved = (await api("GET", `/bookings/${booked.id}`)).body;
  assert.equal(moved.employee, "ben");
  assert.equal(new Date(moved.start).getTime(), new Date(target).getTime());
  assert.equal(moved.rescheduleCount, 1);
  assert.ok(moved.notifications.some((n) => n.id === "1-rescheduled-customer"), JSON.stringify(moved.notifications));
});

test("closures: a canton's holidays are imported, marked in the week and day views, and deleted", async (t) => {
  const year = Number(zurichDate(0).slice(0, 4)) + 1;
  const national = `${year}-08-01`;
  t.after(async () => {
    const { closures } = (await api("GET", `/closures?from=${year}-01-01&to=${year}-12-31`)).body;
    await Promise.all(closures.map((c) => api("DELETE", `/closures/${c.id}`)));
  });
  const p = await signIn(t);
  await p.goto(`${base}/dashboard/#/closures`);
  await p.locator("#import-region").waitFor();
  await audit(p, "dashboard: closures");
  await p.locator("#import-region").selectOption("CH-ZH");
  await p.getByLabel("Year").fill(String(year));
  await p.getByRole("button", { name: "Import" }).click();
  const row = p.locator(`[data-testid="closures"] tr[data-start="${national}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /Bundesfeiertag|National/i);
  const added = (await api("GET", `/closures?from=${year}-01-01&to=${year}-12-31`)).body.closures;
  assert.ok(added.length >= 9, `${added.length} Zurich holidays imported`);

  // Importing again (the form keeps the region and year) adds nothing.
  assert.equal(await p.locator("#import-region").inputValue(), "CH-ZH");
  await p.getByRole("button", { name: "Import" }).click();
  await p.getByRole("status").filter({ hasText: /^0 holidays added/ }).waitFor();
  assert.equal((await api("GET", `/closures?from=${year}-01-01&to=${year}-12-31`)).body.closures.length, added.length);

  // The week and the day views mark the closed date.
  await p.goto(`${base}/dashboard/#/week?employee=ben&date=${national}`);
  await p.locator(`[data-testid="week"] [data-date="${national}"] .col-closed`).waitFor();
  await p.goto(`${base}/dashboard/#/day?date=${national}`);
  await p.locator(".closed-note").waitFor();

  // Deleted, the date is open again.
  await p.goto(`${base}/dashboard/#/closures`);
  await row.getByRole("button", { name: /Delete/ }).click();
  await row.getByRole("button", { name: "Yes, delete" }).click();
  await row.waitFor({ state: "detached" });
  await p.goto(`${base}/dashboard/#/week?employee=ben&date=${national}`);
  await p.locator(`[data-testid="week"] [data-date="${national}"]`).waitFor();
  assert.equal(await p.locator(`[data-testid="week"] [data-date="${national}"] .col-closed`).count(), 0);

  // A range of the company's own: added in the form, closed in the week view, its slots gone.
  const [first, last] = [zurichDate(15), zurichDate(17)];
  const open = (await api("GET", `/slots?service=haircut&from=${first}&to=${last}`)).body.slots;
  assert.ok(open.length > 0, "the dates have free times before they close");
  t.after(async () => {
    const { closures } = (await api("GET", `/closures?from=${first}&to=${last}`)).body;
    await Promise.all(closures.filter((c) => c.name === "Team retreat").map((c) => api("DELETE", `/closures/${c.id}`)));
  });
  await p.goto(`${base}/dashboard/#/closures`);
  await p.getByLabel("First date").fill(first);
  await p.getByLabel("Last date").fill(last);
  await p.getByLabel("Name").fill("Team retreat");
  await p.getByRole("button", { name: "Add closure" }).click();
  const own = p.locator(`[data-testid="closures"] tr[data-start="${first}"]`);
  await own.waitFor();
  assert.match(await own.innerText(), /Team retreat/);
  await audit(p, "dashboard: closures, a range added");
  const stored = (await api("GET", `/closures?from=${first}&to=${last}`)).body.closures.find((c) => c.name === "Team retreat");
  assert.deepEqual([stored?.start, stored?.end], [first, last]);
  const slots = (await api("GET", `/slots?service=haircut&from=${first}&to=${last}`)).body.slots;
  assert.deepEqual(slots, [], "no times on the closed dates");
  await p.goto(`${base}/dashboard/#/week?employee=ben&date=${first}`);
  await p.locator(`[data-testid="week"] [data-date="${last}"] .col-closed`).waitFor();
});

test("an admin finds a customer, downloads their data and erases it; the audit log shows the erasure", async (t) => {
  const slots = (await (await fetch(`${base}/v1/companies/demo/slots?service=haircut&employee=ana&from=${zurichDate(1)}&to=${zurichDate(14)}`)).json()).slots;
  const email = `erase.me.${Date.now()}@example.org`;
  const res = await fetch(`${base}/v1/companies/demo/bookings`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ service: "haircut", employee: "ana", start: slots[5].start, customer: { name: "Eraso Customer", email } }),
  });
  assert.equal(res.status, 201);
  const booked = await res.json();
  const p = await signIn(t);
  await p.goto(`${base}/dashboard/#/customers`);
  await p.getByLabel("E-mail").waitFor();
  await audit(p, "dashboard: customers");
  await p.getByLabel("E-mail").fill(email.toUpperCase());
  await p.getByRole("button", { name: "Find" }).click();
  const row = p.locator(`[data-testid="customer-bookings"] tr[data-booking="${booked.id}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /Eraso Customer/);
  const [download] = await Promise.all([p.waitForEvent("download"), p.getByRole("link", { name: "Download their data (JSON)" }).click()]);
  assert.equal(download.suggestedFilename(), `customer-${email.toUpperCase()}.json`);
  await p.getByRole("button", { name: `Erase the data of ${email.toUpperCase()}` }).click();
  await p.getByRole("button", { name: "Yes, erase" }).click();
  await p.locator('[data-testid="no-customer"]').waitFor();
  await p.getByRole("status").filter({ hasText: "1 future bookings cancelled" }).waitFor();
  const after = (await api("GET", `/bookings/${booked.id}`)).body;
  assert.equal(after.status, "cancelled");
  assert.equal(after.anonymized, true);
  assert.equal(after.customer.email, "");

  await p.goto(`${base}/dashboard/#/audit`);
  await p.locator('[data-testid="audit"] tr[data-action="POST /customers/erase"]').first().waitFor();
  await audit(p, "dashboard: audit log");
});

test("the day view has a column per employee", async (t) => {
  const p = await signIn(t);
  const date = zurichDate(0);
  await p.goto(`${base}/dashboard/#/day?date=${date}`);
  const day = p.locator('[data-testid="day"]');
  await day.locator('[data-employee="ana"]').waitFor();
  await audit(p, "dashboard: day");
  await day.locator('[data-employee="ben"]').waitFor();
  await shot(p, "dashboard-day");
});

/** zurichInstant is the RFC 3339 instant of a wall-clock time (HH:MM) on date in Zurich. */
function zurichInstant(date, hm) {
  const zone = new Intl.DateTimeFormat("en", { timeZone: "Europe/Zurich", timeZoneName: "longOffset" })
    .formatToParts(new Date(`${date}T12:00:00Z`)).find((x) => x.type === "timeZoneName").value;
  return `${date}T${hm}:00${zone.replace("GMT", "") || "+00:00"}`;
}

test("the day view says why a time is not offered and links to the fix", async (t) => {
  // Ben works Tuesday to Saturday 10–18; a Tuesday to Friday two or more days ahead is beyond the notice.
  let date = zurichDate(2);
  for (let i = 3; ![2, 3, 4, 5].includes(new Date(`${date}T12:00:00Z`).getUTCDay()); i++) date = zurichDate(i);
  const abs = await api("POST", "/employees/ben/absences", { start: zurichInstant(date, "12:00"), end: zurichInstant(date, "13:00"), reason: "Dentist" });
  assert.equal(abs.status, 201, JSON.stringify(abs.body));
  t.after(() => api("DELETE", `/employees/ben/absences/${abs.body.id}`));

  const p = await signIn(t);
  await p.goto(`${base}/dashboard/#/day?date=${date}`);
  // A click on the absence in Ben's column, 25 minutes into it (48 px an hour), names 12:15.
  await p.locator(`[data-testid="day"] [data-employee="ben"] [data-absence="${abs.body.id}"]`).click({ position: { x: 30, y: 20 } });
  const pick = p.locator('[data-testid="explain"] .explain-pick');
  await pick.waitFor();
  assert.equal(new Date(await pick.getAttribute("data-start")).getTime(), new Date(zurichInstant(date, "12:15")).getTime());
  assert.match(await pick.innerText(), /12:15 is not offered:\s*Absent: Dentist/);
  assert.equal(await p.getByLabel("Employee to check").inputValue(), "ben");
  // Every start of the day is listed; the last ones do not fit before 18:00.
  const list = p.locator('[data-testid="explain"] table');
  assert.ok(await list.locator("tr.free").count() > 0, "some times are offered");
  assert.equal(await list.locator('[data-reason="DOESNT_FIT"] a').first().getAttribute("href"), "#/employees/ben");
  await audit(p, "dashboard: day, why a time is not offered");
  await shot(p, "dashboard-explain");
  await pick.getByRole("link", { name: "Change the absence" }).click();
  await p.locator(`tr[data-absence="${abs.body.id}"]`).waitFor();

  // A feed that stops answering: no time is offered, and each says which calendar to reconnect.
  let up = true;
  const feed = await serve(t, (_, res) => {
    if (!up) { res.writeHead(500); res.end(); return; }
    res.writeHead(200, { "Content-Type": "text/calendar" });
    res.end("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nEND:VCALENDAR\r\n");
  });
  const cal = await api("POST", "/employees/ben/calendars", { provider: "ics", url: `${feed.origin}/ben.ics` });
  assert.equal(cal.status, 201, JSON.stringify(cal.body));
  t.after(() => api("DELETE", `/employees/ben/calendars/${cal.body.id}`));
  up = false;
  await p.goto(`${base}/dashboard/#/day?date=${date}`);
  await p.getByLabel("Employee to check").selectOption("ben");
  await p.getByLabel("Service to check").selectOption("haircut");
  await p.getByRole("button", { name: "Show why" }).click();
  await list.waitFor();
  assert.equal(await list.locator("tr.free").count(), 0, "nothing is offered while a calendar cannot be read");
  const rows = await list.locator("tbody tr").count();
  assert.equal(await list.locator('tbody tr:has([data-reason="CALENDAR_UNREADABLE"])').count(), rows);
  assert.match(await p.locator('[data-testid="explain"] .explain-sum').innerText(), /0 of \d+ start times offered/);
  const fix = list.getByRole("link", { name: "Reconnect the calendar" }).first();
  assert.equal(await fix.getAttribute("href"), "#/calendars?employee=ben");
  await fix.click();
  await p.locator(`article[data-calendar="${cal.body.id}"]`).waitFor();
});

test("without a sign-in the dashboard asks for one, and says what is wrong with a token", async (t) => {
  const p = await page(browser, t);
  await p.goto(`${base}/dashboard/`);
  await p.getByRole("heading", { name: "Sign in to slotbook" }).waitFor();
  await audit(p, "dashboard: sign-in");
  await p.getByLabel("Token").fill("not a token");
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.getByText("This is not a valid token.").waitFor();
  await audit(p, "dashboard: sign-in with a field error");
  await p.getByLabel("Token").fill(token);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.getByRole("button", { name: "Sign out" }).waitFor();
});

test("staff see only themselves and cannot change company settings", async (t) => {
  const p = await signIn(t, staffToken("ana"));
  await p.goto(`${base}/dashboard/#/week`);
  await p.locator('[data-testid="week"]').waitFor();
  const options = await p.getByLabel("Employee").locator("option").allInnerTexts();
  assert.deepEqual(options, ["Ana Keller"]);
  await audit(p, "dashboard: week, as staff");
  await p.goto(`${base}/dashboard/#/settings`);
  await p.getByLabel("Booking interval (minutes)").waitFor();
  await audit(p, "dashboard: settings, as staff");
  assert.equal(await p.getByLabel("Booking interval (minutes)").isDisabled(), true);
  assert.equal(await p.getByRole("button", { name: "Save settings" }).count(), 0);
});

test("a browser back from a consent page with a state that is not ours lands on the calendars page with the reason", async (t) => {
  const p = await signIn(t);
  await p.goto(`${base}/v1/oauth/callback?error=access_denied&state=forged`);
  await p.waitForURL(/\/dashboard\/#\/calendars/);
  await p.getByText(/The calendar was not connected: the link was not valid or has expired/).waitFor();
  await audit(p, "dashboard: calendars, connect error");
  assert.doesNotMatch(p.url(), /connectError/, "the outcome is shown once, then dropped from the address");
});

test("Microsoft 365 is connected through its consent page and shows the mailbox; a declined consent says so", async (t) => {
  const p = await signIn(t);
  // The consent page: the API names an https address, which hands over to the Graph stand-in
  // (it approves as the signed-in mailbox), or declines as a user who said no.
  let decline = true;
  await p.route("https://login.microsoftonline.test/**", (route) => {
    const u = new URL(route.request().url());
    const state = encodeURIComponent(u.searchParams.get("state"));
    const location = decline
      ? `${base}/v1/oauth/callback?error=access_denied&error_description=User+declined+CONSENT-MARKER&state=${state}`
      : `${process.env.SLOTBOOK_GRAPH_AUTHORIZE}${u.search}`;
    return route.fulfill({ status: 302, headers: { location } });
  });
  await p.goto(`${base}/dashboard/#/calendars?employee=ana`);
  await p.getByRole("button", { name: "Connect Microsoft 365" }).click();
  await p.getByText(/The calendar was not connected: access was not granted/).waitFor();
  assert.equal(await p.getByText(/CONSENT-MARKER/).count(), 0, "the provider's words are not shown");

  decline = false;
  // Whatever fails below, ana is left without it: its lost grant would hide her times from the other tests.
  t.after(async () => {
    const { calendars } = (await api("GET", "/employees/ana/calendars")).body;
    await Promise.all(calendars.filter((c) => c.provider === "microsoft").map((c) => api("DELETE", `/employees/ana/calendars/${c.id}`)));
  });
  await p.getByRole("button", { name: "Connect Microsoft 365" }).click();
  const card = p.locator("article.cal", { hasText: "Microsoft 365" });
  await card.getByText(`Microsoft 365 · ${process.env.SLOTBOOK_GRAPH_MAILBOX}`).waitFor();
  await card.getByText("Connected", { exact: true }).waitFor();
  assert.doesNotMatch(p.url(), /oauthCode|oauthState/, "the code leaves the address bar");
  await shot(p, "dashboard-microsoft");

  // A booking lands in the mailbox. Then the grant is revoked: cancelling still works, and the
  // event waits, shown on the calendar, until the calendar is reconnected in place.
  const control = process.env.SLOTBOOK_GRAPH_CONTROL;
  const events = async () => Number(await (await fetch(`${control}/events`)).text());
  const today = new Date().toISOString().slice(0, 10);
  const later = new Date(Date.now() + 13 * 86400e3).toISOString().slice(0, 10);
  const slots = await api("GET", `/slots?service=haircut&employee=ana&from=${today}&to=${later}`);
  const start = slots.body.slots[0].start;
  const booked = await api("POST", "/bookings", { service: "haircut", employee: "ana", start, customer: { name: "Mia Graph", email: "mia@mail.example" } });
  assert.equal(booked.status, 201);
  assert.equal(await events(), 1, "the booking is in the mailbox");
  await fetch(`${control}/revoke`);
  await p.goto(`${base}/dashboard/#/week?employee=ana&date=${start.slice(0, 10)}`);
  await p.getByText(/could not be read: needs re-authorisation/).waitFor();
  await audit(p, "dashboard: week, a calendar that cannot be read");
  await p.getByRole("button", { name: /Mia Graph/ }).click();
  await p.getByRole("button", { name: "Cancel booking" }).click();
  await p.getByRole("button", { name: "Yes, cancel" }).waitFor();
  await audit(p, "dashboard: booking dialog, confirm the cancel");
  await p.getByRole("button", { name: "Yes, cancel" }).click();
  await p.getByText("Booking cancelled").waitFor();
  assert.equal(await events(), 1, "the event stays while the calendar cannot be written");
  await p.goto(`${base}/dashboard/#/calendars?employee=ana`);
  await card.getByText("Needs re-authorisation").waitFor();
  await card.getByText(/The event of 1 cancelled booking is still in this calendar/).waitFor();
  await audit(p, "dashboard: calendars, needs re-authorisation");
  await shot(p, "dashboard-pending-removal");
  await card.getByRole("button", { name: "Reconnect" }).click();
  await card.getByText("Connected", { exact: true }).waitFor();
  assert.equal(await card.getByText(/cancelled booking/).count(), 0, "the waiting event is gone");
  assert.equal(await events(), 0, "reconnecting removed the event");
  assert.equal(await p.locator("article.cal").count(), 1, "reconnecting made no second connection");

  // Leave ana without it for the other tests.
  await card.getByRole("button", { name: /^Remove/ }).click();
  await p.getByRole("button", { name: "Yes, remove" }).click();
  await card.waitFor({ state: "detached" });
});

test("Cognito mode: the hosted UI's code flow with PKCE signs in, refreshes and signs out", async (t) => {
  // A stand-in for the Cognito hosted UI's three endpoints, strict about PKCE.
  const codes = new Map(), seen = [];
  const idToken = (ttl) => jwt({ sub: "cognito-owner", "custom:company": "demo", "custom:role": "admin", token_use: "id", aud: "dash-client" }, ttl);
  const { origin: domain } = await serve(t, async (req, res) => {
    const u = new URL(req.url, "http://x");
    const cors = { "Access-Control-Allow-Origin": new URL(base).origin };
    if (u.pathname === "/oauth2/authorize") {
      const q = u.searchParams;
      seen.push(`authorize ${q.get("response_type")} ${q.get("code_challenge_method")} ${q.get("scope")}`);
      const code = `code-${codes.size}`;
      codes.set(code, { challenge: q.get("code_challenge"), redirect: q.get("redirect_uri"), client: q.get("client_id") });
      res.writeHead(302, { Location: `${q.get("redirect_uri")}?code=${code}&state=${encodeURIComponent(q.get("state"))}` });
      return res.end();
    }
    if (u.pathname === "/oauth2/token" && req.method === "POST") {
      let body = "";
      for await (const chunk of req) body += chunk;
      const f = new URLSearchParams(body);
      seen.push(`token ${f.get("grant_type")}`);
      let ok = false;
      if (f.get("grant_type") === "authorization_code") {
        const c = codes.get(f.get("code"));
        codes.delete(f.get("code"));
        ok = c && c.client === f.get("client_id") && c.redirect === f.get("redirect_uri") &&
          createHash("sha256").update(f.get("code_verifier") || "").digest("base64url") === c.challenge;
      } else if (f.get("grant_type") === "refresh_token") {
        ok = f.get("refresh_token") === "refresh-1";
      }
      res.writeHead(ok ? 200 : 400, { "Content-Type": "application/json", ...cors });
      // The first ID token expires within the dashboard's refresh margin, the refreshed one does not.
      return res.end(JSON.stringify(ok
        ? { id_token: idToken(f.get("grant_type") === "refresh_token" ? 3600 : 90), access_token: "a", token_type: "Bearer", expires_in: 3600, ...(f.get("grant_type") === "authorization_code" ? { refresh_token: "refresh-1" } : {}) }
        : { error: "invalid_grant" }));
    }
    if (u.pathname === "/logout") {
      seen.push(`logout ${u.searchParams.get("client_id")}`);
      res.writeHead(302, { Location: u.searchParams.get("logout_uri") });
      return res.end();
    }
    res.writeHead(404).end();
  });

  const p = await page(browser, t);
  await p.route(`${base}/config.json`, (route) => route.fulfill({
    json: { api: "", auth: { mode: "cognito", domain, clientId: "dash-client", scopes: "openid email profile" } },
  }));
  await p.goto(`${base}/dashboard/#/settings`);
  await p.locator("#sign-in").waitFor();
  await audit(p, "dashboard: sign-in (Cognito)");
  // A sign-in link counts only in local mode: here it could sign a user into another's account.
  await p.goto(`${base}/dashboard/#token=${token}`);
  await p.waitForTimeout(300);
  assert.equal(await p.getByRole("button", { name: "Sign out" }).isVisible(), false, "a #token= link signed in under Cognito");
  await p.goto(`${base}/dashboard/#/settings`);
  await p.locator("#sign-in").click();
  await p.getByRole("button", { name: "Sign out" }).waitFor();
  await p.getByText("cognito-owner").first().waitFor();
  await p.getByLabel("Booking interval (minutes)").waitFor(); // back on the page asked for, reading the API
  assert.doesNotMatch(p.url(), /code=|state=/, "the code leaves the address bar");
  assert.deepEqual(seen.slice(0, 2), ["authorize code S256 openid email profile", "token authorization_code"]);
  assert.ok(seen.includes("token refresh_token"), `the short-lived ID token was refreshed: ${seen}`);

  await p.getByRole("button", { name: "Sign out" }).click();
  await p.locator("#sign-in").waitFor();
  assert.ok(seen.includes("logout dash-client"), `signed out at the hosted UI too: ${seen}`);
  assert.equal(await p.evaluate(() => sessionStorage.length), 0, "no token is left behind");
});
