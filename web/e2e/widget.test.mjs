// The booking widget in a real chromium: book end to end and cancel in the
// dashboard, cancel through the link, the .ics file, the 409 and 503
// messages, languages, zones and the keyboard.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { api, audit, around, base, fillDetails, launch, openWeek, page, serve, shot, toForm, token } from "./harness.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** bookingsAround lists the company's bookings on the days around iso. */
async function bookingsAround(iso) {
  const { from, to } = around(iso);
  const res = await api("GET", `/bookings?from=${from}&to=${to}`);
  assert.equal(res.status, 200);
  return res.body.bookings;
}

/** bookApi books haircut with ana at start for name, as the widget would; it returns the 201 answer. */
async function bookApi(start, name) {
  const res = await fetch(`${base}/v1/companies/demo/bookings`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ service: "haircut", employee: "ana", start, customer: { name, email: "e2e@example.org" } }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return res.json();
}

/**
 * reschedulePage books ana's first free haircut from tomorrow for name and
 * opens its reschedule page at the booking's week of free times.
 */
async function reschedulePage(t, name) {
  const from = plusDays(zurichToday(), 1);
  const free = (await (await fetch(`${base}/v1/companies/demo/slots?service=haircut&employee=ana&from=${from}&to=${plusDays(from, 13)}`)).json()).slots;
  const booked = await bookApi(free[0].start, name);
  t.after(() => api("DELETE", `/bookings/${booked.id}`));
  const r = await page(browser, t);
  await r.goto(`${base}/widget/reschedule.html#company=demo&booking=${booked.id}&token=${booked.cancelToken}`);
  await r.locator("button.slot").first().waitFor();
  return { booked, r };
}

test("a customer books through the widget; staff see it in the week view and cancel it", async (t) => {
  const p = await page(browser, t);
  const slot = await openWeek(p, "haircut", "ana");
  await shot(p.locator(".wrap"), "widget-week");
  const start = await slot.getAttribute("data-start");
  assert.match(start, /\+0[12]:00$/, "times carry the customer's (Zurich) offset");
  await slot.click();
  await fillDetails(p, "Erika Muster");
  await p.getByRole("button", { name: "Book now" }).click();
  await p.getByRole("heading", { name: "Your appointment is booked" }).waitFor();
  await audit(p, "widget: confirmation");
  await shot(p.locator(".wrap"), "widget-confirmed");

  const done = p.locator("section[data-booking]");
  const id = await done.getAttribute("data-booking");
  assert.match(await done.innerText(), /Haircut with Ana Keller/);

  // The .ics file holds the booked instant.
  const [download] = await Promise.all([p.waitForEvent("download"), p.getByRole("link", { name: "Add to calendar (.ics)" }).click()]);
  const ics = await readFile(await download.path(), "utf8");
  const utc = new Date(start).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  assert.match(ics, new RegExp(`^DTSTART:${utc}\\r$`, "m"));
  assert.match(ics, new RegExp(`^UID:${id}@slotbook\\r$`, "m"));
  assert.match(ics, /^BEGIN:VCALENDAR\r\n[\s\S]*END:VCALENDAR\r\n$/);

  // The API has it, confirmed, with the customer's details.
  const booked = (await bookingsAround(start)).find((b) => b.id === id);
  assert.equal(booked?.status, "confirmed");
  assert.equal(booked.customer.name, "Erika Muster");
  assert.equal(booked.customer.phone, "+41 44 123 45 67");
  assert.equal(booked.notes, "First visit");
  assert.equal(new Date(booked.start).getTime(), new Date(start).getTime());

  // The dashboard's week view shows it; staff cancel it there.
  const d = await page(browser, t);
  await d.goto(`${base}/dashboard/#token=${token}`);
  await d.goto(`${base}/dashboard/#/week?employee=ana&date=${start.slice(0, 10)}`);
  const block = d.locator(`[data-testid="week"] [data-date="${start.slice(0, 10)}"] [data-booking="${id}"]`);
  await block.waitFor();
  // Its accessible name starts with what it shows (WCAG 2.5.3); the service and date follow.
  const dateLong = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "long", day: "numeric", month: "long" }).format(new Date(start.slice(0, 10) + "T12:00:00Z"));
  const name = await block.getAttribute("aria-label"), shown = (await block.locator(".time").textContent()) + " Erika Muster";
  assert.ok(name.startsWith(shown), `the name "${name}" starts with what the block shows, "${shown}"`);
  assert.match(name, new RegExp(`Haircut, ${dateLong}$`));
  await audit(d, "dashboard: week with a booking");
  await shot(d, "dashboard-week");
  await block.click();
  await d.getByRole("button", { name: "Cancel booking" }).click();
  await d.getByRole("button", { name: "Yes, cancel" }).click();
  await block.waitFor({ state: "detached" });
  const after = (await bookingsAround(start)).find((b) => b.id === id);
  assert.ok(!after || after.status === "cancelled", `booking is ${after?.status}`);

  // The time is free again.
  const { date } = around(start, 0);
  const slots = await fetch(`${base}/v1/companies/demo/slots?service=haircut&employee=ana&from=${date}&to=${date}`).then((r) => r.json());
  assert.ok(slots.slots.some((s) => new Date(s.start).getTime() === new Date(start).getTime()), "the cancelled time is offered again");
});

test("the cancel link in the confirmation cancels the booking; the same time can be booked again", async (t) => {
  const p = await page(browser, t);
  const start = await toForm(p, "haircut", "", "Max Link");
  await p.getByRole("button", { name: "Book now" }).click();
  const id = await p.locator("section[data-booking]").getAttribute("data-booking");
  const [c] = await Promise.all([p.context().waitForEvent("page"), p.getByRole("link", { name: "Cancel this booking" }).click()]);
  await c.getByRole("button", { name: "Yes, cancel my appointment" }).waitFor();
  await audit(c, "cancel page");
  // The API is busy once: the page keeps its button for another try.
  let deletes = 0;
  await c.route("**/v1/companies/demo/bookings/*", (route) => (++deletes === 1
    ? route.fulfill({ status: 503, contentType: "application/problem+json", body: JSON.stringify({ type: "urn:slotbook:problem:unavailable", title: "Service Unavailable", status: 503, code: "unavailable" }) })
    : route.continue()));
  await c.getByRole("button", { name: "Yes, cancel my appointment" }).click();
  await c.getByText(/could not be cancelled right now/).waitFor();
  await audit(c, "cancel page: could not cancel (503)");
  await c.getByRole("button", { name: "Yes, cancel my appointment" }).click();
  await c.getByText("Your appointment is cancelled.").waitFor();
  await audit(c, "cancel page: cancelled");
  assert.equal(deletes, 2);
  assert.ok(!c.url().includes("token="), "the page forgets the token once used");
  const b = (await bookingsAround(start)).find((x) => x.id === id);
  assert.ok(!b || b.status === "cancelled", `booking is ${b?.status}`);
  // The same link again: the page says the appointment is cancelled already.
  const link = await p.getByRole("link", { name: "Cancel this booking" }).getAttribute("href");
  const c2 = await page(browser, t);
  await c2.goto(new URL(link, p.url()).href);
  await c2.getByRole("button", { name: "Yes, cancel my appointment" }).click();
  await c2.getByText("This appointment is cancelled already.").waitFor();
  await audit(c2, "cancel page: cancelled already");

  // Back in the widget: the same time, the same details, a new booking (not the first answer again).
  await p.getByRole("button", { name: "Book another appointment" }).click();
  await p.locator('button[data-service="haircut"]').click();
  await p.locator('button.choice[data-employee=""]').click();
  const again = p.locator(`button.slot[data-start="${start}"]`).first();
  for (let i = 0; i < 4; i++) {
    await p.locator(".day").first().waitFor();
    if (await p.locator(`.day[data-date="${start.slice(0, 10)}"]`).count()) break;
    await p.getByRole("button", { name: "Next week" }).click();
  }
  await again.click();
  await fillDetails(p, "Max Link");
  await p.getByRole("button", { name: "Book now" }).click();
  await p.getByRole("heading", { name: "Your appointment is booked" }).waitFor();
  const second = await p.locator("section[data-booking]").getAttribute("data-booking");
  t.after(() => api("DELETE", `/bookings/${second}`));
  assert.notEqual(second, id);
  assert.equal((await bookingsAround(start)).find((x) => x.id === second)?.status, "confirmed");
});

test("the reschedule link in the confirmation moves the booking, over its own time; a second move is over the limit", async (t) => {
  const p = await page(browser, t);
  const start = await toForm(p, "haircut", "ana", "Rita Move");
  await p.getByRole("button", { name: "Book now" }).click();
  const id = await p.locator("section[data-booking]").getAttribute("data-booking");
  const [r] = await Promise.all([p.context().waitForEvent("page"), p.getByRole("link", { name: "Reschedule this booking" }).click()]);
  assert.match(r.url(), /\/widget\/reschedule\.html#company=demo&booking=/);
  await r.getByRole("heading", { name: "Choose a new time" }).waitFor();
  assert.equal(await r.locator("[data-current]").getAttribute("data-current"), (await api("GET", `/bookings/${id}`)).body.start);

  // A time that overlaps the booking's own is offered: its own time does not block it.
  await r.locator("button.slot").first().waitFor();
  await audit(r, "reschedule page: week");
  const t0 = new Date(start).getTime();
  const starts = await r.locator("button.slot").evaluateAll((bs) => bs.map((b) => b.dataset.start));
  const over = starts.find((s) => new Date(s).getTime() !== t0 && Math.abs(new Date(s).getTime() - t0) < 30 * 60000);
  assert.ok(over, `no time overlapping the booking's own (${start}) is offered: ${starts.slice(0, 8)}`);
  await shot(r.locator(".wrap"), "widget-reschedule");
  await r.locator(`button.slot[data-start="${over}"]`).click();
  await r.getByRole("button", { name: "Move my appointment" }).waitFor();
  await audit(r, "reschedule page: confirm the move");
  await r.getByRole("button", { name: "Move my appointment" }).click();
  await r.getByRole("heading", { name: "Your appointment has been moved" }).waitFor();
  await audit(r, "reschedule page: moved");
  const moved = (await api("GET", `/bookings/${id}`)).body;
  assert.equal(new Date(moved.start).getTime(), new Date(over).getTime());
  assert.equal(moved.rescheduleCount, 1);
  assert.equal(moved.status, "confirmed");

  // The same link again: the company allows one move online.
  await r.reload();
  await r.getByRole("heading", { name: "Choose a new time" }).waitFor();
  await r.locator("button.slot").first().waitFor();
  const other = await r.locator("button.slot").evaluateAll((bs, now) => bs.map((b) => b.dataset.start).find((s) => new Date(s).getTime() !== now), new Date(over).getTime());
  await r.locator(`button.slot[data-start="${other}"]`).click();
  await r.getByRole("button", { name: "Move my appointment" }).click();
  await r.getByRole("alert").filter({ hasText: "moved as often as is possible online" }).waitFor();
  await audit(r, "reschedule page: reschedule_limit");
  assert.equal(new Date((await api("GET", `/bookings/${id}`)).body.start).getTime(), new Date(over).getTime());
  await api("DELETE", `/bookings/${id}`);
});

test("a slot taken while the customer types gets the 409 message and a fresh week", async (t) => {
  const p = await page(browser, t);
  const start = await toForm(p, "haircut", "ben", "Too Late");
  // Someone else books the same time first.
  const other = await fetch(`${base}/v1/companies/demo/bookings`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ service: "haircut", employee: "ben", start, customer: { name: "Quick", email: "quick@example.org" } }),
  });
  assert.equal(other.status, 201);
  const { id } = await other.json();
  t.after(() => api("DELETE", `/bookings/${id}`));

  await p.getByRole("button", { name: "Book now" }).click();
  const alert = p.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.innerText(), /just taken by someone else/);
  await p.locator("button.slot").first().waitFor();
  assert.equal(await p.locator(`button.slot[data-start="${start}"]`).count(), 0, "the taken time is gone from the refreshed week");
  await audit(p, "widget: slot_taken (409)");
  await shot(p, "widget-409");

  // Another time books at once, with the details already typed.
  await p.locator("button.slot").last().click();
  assert.equal(await p.getByLabel("Name").inputValue(), "Too Late");
  await p.getByRole("button", { name: "Book now" }).click();
  await p.getByRole("heading", { name: "Your appointment is booked" }).waitFor();
  const second = await p.locator("section[data-booking]").getAttribute("data-booking");
  t.after(() => api("DELETE", `/bookings/${second}`));
});

test("an answer lost on the way: booking again books once", async (t) => {
  const p = await page(browser, t);
  const start = await toForm(p, "coloring", "ana", "Lost Answer");
  // The first request reaches the server, but its answer never reaches the page.
  let posts = 0;
  await p.route("**/v1/companies/demo/bookings", async (route) => {
    posts++;
    if (posts === 1) {
      await route.fetch();
      return route.abort("connectionreset");
    }
    return route.continue();
  });
  await p.getByRole("button", { name: "Book now" }).click();
  await p.getByText(/Something went wrong. Nothing was booked/).waitFor();
  await p.getByRole("button", { name: "Book now" }).click();
  await p.getByRole("heading", { name: "Your appointment is booked" }).waitFor();
  const id = await p.locator("section[data-booking]").getAttribute("data-booking");
  t.after(() => api("DELETE", `/bookings/${id}`));
  assert.equal(posts, 2);
  const mine = (await bookingsAround(start)).filter((b) => b.customer.name === "Lost Answer" && b.status !== "cancelled");
  assert.deepEqual(mine.map((b) => b.id), [id], "one booking, and the page shows it");
});

test("a calendar that cannot be checked at booking time gets the 503 message; nothing is booked", async (t) => {
  // A real ICS feed for ben, served here; it goes away between choosing and booking.
  const feed = await serve(t, (_, res) => {
    res.writeHead(200, { "Content-Type": "text/calendar" });
    res.end("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nEND:VCALENDAR\r\n");
  });
  const conn = await api("POST", "/employees/ben/calendars", { provider: "ics", url: `${feed.origin}/ben.ics` });
  assert.equal(conn.status, 201, JSON.stringify(conn.body));
  t.after(() => api("DELETE", `/employees/ben/calendars/${conn.body.id}`));

  const p = await page(browser, t);
  const start = await toForm(p, "haircut", "ben", "No Calendar");
  await feed.stop();

  await p.getByRole("button", { name: "Book now" }).click();
  const alert = p.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.innerText(), /cannot check the calendar right now/);
  assert.equal(await p.getByLabel("Name").inputValue(), "No Calendar", "the form keeps what the customer typed");
  assert.ok(!(await bookingsAround(start)).some((b) => b.customer.name === "No Calendar"), "nothing was booked");
  await audit(p, "widget: calendar unavailable (503)");
  await shot(p, "widget-503");

  // Back in the week, the widget says why ben has no times.
  await p.getByRole("button", { name: "Back" }).click();
  await p.getByText(/Some calendars could not be checked right now, so no times are shown for: Ben Meier/).waitFor();
  await audit(p, "widget: week with a calendar that cannot be read");
});

test("German from the browser, switchable; times in the customer's own zone", async (t) => {
  const p = await page(browser, t, { locale: "de-DE", timezoneId: "America/New_York" });
  await p.goto(`${base}/widget/`);
  await p.getByRole("heading", { name: "Termin buchen" }).waitFor();
  await p.locator('button[data-service="haircut"]').click();
  await p.getByRole("button", { name: "Egal, wer frei ist" }).click();
  await p.getByText(/Zeiten in Ihrer Zeitzone: .*\(America\/New_York\)/).waitFor();
  await p.locator(".day").first().waitFor();
  let slot = p.locator("button.slot").first();
  if (!(await slot.count())) {
    await p.getByRole("button", { name: /Nächste Woche/ }).click();
    await p.locator(".day").first().waitFor();
    slot = p.locator("button.slot").first();
  }
  assert.match(await slot.getAttribute("data-start"), /-0[45]:00$/, "slots are asked for in the customer's zone");
  // "Egal, wer frei ist": each time once and without a name; the server chooses at booking.
  // WCAG 2.5.3, label in name: the accessible name starts with the visible time.
  const label = await slot.getAttribute("aria-label");
  assert.ok(label.startsWith((await slot.textContent()).trim() + ", "), `slot label ${label}`);
  assert.doesNotMatch(label, / bei /);
  await audit(p, "widget: week, in German");
  await p.getByRole("button", { name: "Show in English" }).click();
  await p.getByRole("heading", { name: "Book an appointment" }).waitFor();
  await p.getByText(/Times are shown in your time zone: .*\(America\/New_York\)/).waitFor();
});

test("the widget works from the keyboard alone", async (t) => {
  const p = await page(browser, t);
  await p.goto(`${base}/widget/`);
  await p.locator('button[data-service="haircut"]').waitFor();
  // Tab to the first service (after the language switch) and choose with Enter.
  for (let i = 0; i < 10; i++) {
    await p.keyboard.press("Tab");
    if (await p.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.dataset?.service === "haircut")) break;
  }
  await p.keyboard.press("Enter");
  // The focus moves to the next step's heading.
  const focused = () => p.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.textContent);
  assert.equal(await focused(), "Choose who you'd like");
  await p.locator('button.choice[data-employee="ben"]').focus();
  await p.keyboard.press("Enter");
  await p.locator(".day").first().waitFor();
  // Paging weeks keeps the focus on the button, through the loading and the new week.
  await p.getByRole("button", { name: "Next week" }).focus();
  await p.keyboard.press("Enter");
  await p.locator(".day").first().waitFor();
  assert.equal(await focused(), "Next week →");
  await p.keyboard.press("Enter");
  await p.locator(".day").first().waitFor();
  assert.equal(await focused(), "Next week →");
});

test("the reschedule page works from the keyboard alone, and tells a screen reader what it did", async (t) => {
  const { booked, r } = await reschedulePage(t, "Kim Keys");
  const active = () => r.evaluate(() => {
    const el = document.activeElement?.shadowRoot?.activeElement;
    return el ? { tag: el.tagName, text: el.textContent, start: el.dataset?.start } : null;
  });
  // Tab to the first free time other than the booking's own, and choose it with Enter.
  let chosen;
  for (let i = 0; i < 40 && !chosen; i++) {
    await r.keyboard.press("Tab");
    const a = await active();
    if (a?.start && new Date(a.start).getTime() !== new Date(booked.start).getTime()) chosen = a.start;
  }
  assert.ok(chosen, "a free time is reached with Tab");
  await r.keyboard.press("Enter");
  // The focus moves to the step's heading; Tab reaches the button that moves it.
  assert.deepEqual(await active(), { tag: "H3", text: "Reschedule your appointment", start: undefined });
  for (let i = 0; i < 10 && (await active())?.text !== "Move my appointment"; i++) await r.keyboard.press("Tab");
  await r.keyboard.press("Enter");
  await r.getByRole("heading", { name: "Your appointment has been moved" }).waitFor();
  assert.equal((await active())?.tag, "H3", "the focus is on the outcome's heading");
  assert.equal(new Date((await api("GET", `/bookings/${booked.id}`)).body.start).getTime(), new Date(chosen).getTime());
});

test("one script tag embeds the widget in a company's own site, on another origin", async (t) => {
  const { origin } = await serve(t, (_, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><head><title>Salon</title>
      <style>button { background: rgb(255, 0, 0); } h2 { color: rgb(0, 0, 255); }</style></head>
      <body><h1>Salon Example</h1>
      <script src="${base}/widget/slotbook-widget.js" data-company="demo" data-api="${base}" async></script>
      </body></html>`);
  });
  assert.notEqual(new URL(base).origin, origin);

  const p = await page(browser, t);
  await p.goto(origin);
  const haircut = p.locator('button[data-service="haircut"]');
  await haircut.waitFor();
  // The site's styles stay out of the widget.
  assert.notEqual(await haircut.evaluate((el) => getComputedStyle(el).backgroundColor), "rgb(255, 0, 0)");
  await haircut.click();
  await p.locator('button.choice[data-employee="ana"]').click();
  await p.locator(".day").first().waitFor(); // slots answered across origins (CORS)
});

test("the widget pages weeks only as far as the company's booking horizon", async (t) => {
  const before = (await api("GET", "/settings")).body;
  t.after(() => api("PUT", "/settings", { ...before, id: undefined }));
  assert.equal((await api("PUT", "/settings", { ...before, id: undefined, horizonDays: 7 })).status, 200);
  const p = await page(browser, t);
  await p.goto(`${base}/widget/`);
  await p.locator('button[data-service="haircut"]').click();
  await p.locator('button.choice[data-employee=""]').click();
  const next = p.getByRole("button", { name: "Next week" });
  await p.locator(".day").first().waitFor();
  // The widget opens on the first week with a free time: back to this one.
  const prev = p.getByRole("button", { name: "Previous week" });
  if (!(await prev.isDisabled())) {
    await prev.click();
    await p.locator(".day").first().waitFor();
  }
  assert.equal(await next.isDisabled(), false, "the next week starts within 7 days");
  await next.click();
  await p.locator(".day").first().waitFor();
  assert.equal(await next.isDisabled(), true, "the week after starts beyond 7 days, whatever the weekday today");
});

test("any available person: each time once, no names; the confirmation names who was chosen", async (t) => {
  const p = await page(browser, t);
  const slot = await openWeek(p, "haircut", "");
  const start = await slot.getAttribute("data-start");
  const day = p.locator(`.day[data-date="${start.slice(0, 10)}"] button.slot`);
  const starts = await day.evaluateAll((bs) => bs.map((b) => b.dataset.start));
  assert.equal(new Set(starts).size, starts.length, "each free time once");
  assert.equal(await p.locator("button.slot small").count(), 0, "no names on the times");
  await audit(p, "widget: any available person, week");
  await slot.click();
  await fillDetails(p, "Any Person");
  await p.getByRole("button", { name: "Book now" }).click();
  await p.getByRole("heading", { name: "Your appointment is booked" }).waitFor();
  const done = p.locator("section[data-booking]");
  const id = await done.getAttribute("data-booking");
  t.after(() => api("DELETE", `/bookings/${id}`));
  assert.match(await done.innerText(), /Haircut with (Ana Keller|Ben Meier)/);
  const { from, to } = around(start);
  const res = await api("GET", `/bookings?from=${from}&to=${to}`);
  const b = res.body.bookings.find((x) => x.id === id);
  assert.ok(b && ["ana", "ben"].includes(b.employee), `booked with ${b?.employee}`);
});

/** zurichToday is today's date in Zurich, YYYY-MM-DD. */
function zurichToday() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Zurich", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

/** plusDays is date + n days. */
function plusDays(date, n) {
  return new Date(new Date(date + "T12:00:00Z").getTime() + n * 86400000).toISOString().slice(0, 10);
}

test("the widget opens on the first week with a free time, says when it is, and keeps the arrows", async (t) => {
  // Zoe works weekdays 09:00–17:00 but is away until the Monday after next:
  // this week and the next have nothing free.
  const today = zurichToday();
  const thisMonday = plusDays(today, -((new Date(today + "T12:00:00Z").getUTCDay() + 6) % 7));
  const back = plusDays(thisMonday, 14);
  assert.equal((await api("POST", "/employees", { id: "e2e-zoe", name: "Zoe Frei", email: "zoe@demo.example" })).status, 201);
  t.after(async () => {
    await api("DELETE", "/services/e2e-colour");
    await api("DELETE", "/employees/e2e-zoe");
  });
  const weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday"].map((weekday) => ({ weekday, start: "09:00", end: "17:00" }));
  assert.equal((await api("PUT", "/employees/e2e-zoe/availability", { weekly: weekdays })).status, 200);
  assert.equal((await api("POST", "/employees/e2e-zoe/absences", {
    start: `${plusDays(today, -1)}T00:00:00Z`, end: `${back}T00:00:00Z`, reason: "Travelling",
  })).status, 201);
  assert.equal((await api("POST", "/services", { id: "e2e-colour", name: "Colour", durationMinutes: 60, employees: ["e2e-zoe"] })).status, 201);

  const p = await page(browser, t);
  let asked = 0;
  p.on("request", (r) => { if (r.url().includes("/next-free?")) asked++; });
  await p.goto(`${base}/widget/`);
  await p.locator('button[data-service="e2e-colour"]').click();
  // One service, one person: straight to the week — the week of the first free time.
  const first = p.locator("button.slot").first();
  await first.waitFor();
  const start = await first.getAttribute("data-start");
  assert.equal(start.slice(0, 16), `${back}T09:00`, "the first free time is 09:00 on the Monday Zoe is back");
  assert.equal(await p.locator(".day").first().getAttribute("data-date"), back, "the shown week is that Monday's");
  assert.equal(asked, 1, "one request found it, not one per week");
  const note = p.locator("[data-next-free]");
  assert.equal(await note.getAttribute("data-next-free"), start);
  const when = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "short", day: "numeric", month: "short" }).format(new Date(back + "T12:00:00Z"));
  assert.equal(await note.innerText(), `Next free time: ${when}, 09:00`);
  // A screen reader hears it too: the widget's polite live region says it.
  await p.locator('[role="status"]').filter({ hasText: `Next free time: ${when}, 09:00` }).waitFor();
  await audit(p, "widget: opened on the first free week");
  await shot(p.locator(".wrap"), "widget-first-free-week");

  // The arrows still browse: the week before has nothing free.
  await p.getByRole("button", { name: "Previous week" }).click();
  await p.locator(`.day[data-date="${plusDays(back, -7)}"]`).waitFor();
  await p.getByText("No free times this week. Try the next week.").waitFor();
  assert.equal(await p.locator("button.slot").count(), 0);
  await audit(p, "widget: a week with nothing free");
  await p.getByRole("button", { name: "Next week" }).click();
  await p.locator(`.day[data-date="${back}"] button.slot`).first().waitFor();

  // In German.
  await p.locator("[data-lang-switch]").click();
  const wann = new Intl.DateTimeFormat("de-CH", { timeZone: "UTC", weekday: "short", day: "numeric", month: "short" }).format(new Date(back + "T12:00:00Z"));
  assert.equal(await note.innerText(), `Nächster freier Termin: ${wann}, 09:00`);

  // Nothing at all within the horizon: the widget says so, on this week.
  assert.equal((await api("PUT", "/employees/e2e-zoe/availability", { weekly: [] })).status, 200);
  const horizon = (await api("GET", "/settings")).body.horizonDays;
  await p.goto(`${base}/widget/`);
  await p.locator('button[data-service="e2e-colour"]').click();
  await p.getByText(`Nothing is free in the next ${horizon} days.`).waitFor();
  assert.equal(await p.locator(".day").first().getAttribute("data-date"), thisMonday);
  await audit(p, "widget: nothing free within the horizon");
});


test("the reschedule page tells a time taken meanwhile and a move too late", async (t) => {
  const { booked, r } = await reschedulePage(t, "Rob Move");
  await r.getByRole("heading", { name: "Choose a new time" }).waitFor();

  // Someone else books the chosen time while the customer confirms.
  const own = new Date(booked.start).getTime();
  const starts = await r.locator("button.slot").evaluateAll((bs) => bs.map((b) => b.dataset.start));
  const far = starts.filter((s) => Math.abs(new Date(s).getTime() - own) >= 2 * 3600e3);
  assert.ok(far.length >= 1, `a time away from the booking's own in its week: ${starts}`);
  await r.locator(`button.slot[data-start="${far[0]}"]`).click();
  const other = await bookApi(far[0], "Quick Other");
  t.after(() => api("DELETE", `/bookings/${other.id}`));
  await r.getByRole("button", { name: "Move my appointment" }).click();
  await r.getByRole("alert").filter({ hasText: "just taken by someone else" }).waitFor();
  await r.locator("button.slot").first().waitFor();
  assert.equal(await r.locator(`button.slot[data-start="${far[0]}"]`).count(), 0, "the taken time is gone from the refreshed week");
  assert.equal(new Date((await api("GET", `/bookings/${booked.id}`)).body.start).getTime(), own, "the booking keeps its time");
  await audit(r, "reschedule page: slot_taken (409)");

  // The company asks for 30 days' notice: too late to move online.
  const before = (await api("GET", "/settings")).body;
  t.after(() => api("PUT", "/settings", { ...before, id: undefined }));
  assert.equal((await api("PUT", "/settings", { ...before, id: undefined, cancelNoticeMinutes: 30 * 24 * 60 })).status, 200);
  const later = (await r.locator("button.slot").evaluateAll((bs) => bs.map((b) => b.dataset.start)))
    .find((s) => Math.abs(new Date(s).getTime() - own) >= 2 * 3600e3);
  await r.locator(`button.slot[data-start="${later}"]`).click();
  await r.getByRole("button", { name: "Move my appointment" }).click();
  await r.getByRole("alert").filter({ hasText: "starts too soon to be moved online" }).waitFor();
  assert.equal(new Date((await api("GET", `/bookings/${booked.id}`)).body.start).getTime(), own, "the booking keeps its time");
  await audit(r, "reschedule page: too_late");
});

test("at a phone's width every step of the widget fits and passes the audit", async (t) => {
  const p = await page(browser, t, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const slot = await openWeek(p, "haircut", "ana");
  const fits = () => p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  assert.ok(await fits(), "the week fits the phone's width");
  await slot.click();
  await fillDetails(p, "Pia Phone");
  assert.ok(await fits(), "the form fits the phone's width");
  await p.getByRole("button", { name: "Book now" }).click();
  await p.getByRole("heading", { name: "Your appointment is booked" }).waitFor();
  const id = await p.locator("section[data-booking]").getAttribute("data-booking");
  t.after(() => api("DELETE", `/bookings/${id}`));
  await audit(p, "widget: confirmation");
  assert.ok(await fits(), "the confirmation fits the phone's width");
  await shot(p, "widget-phone-confirmed");

  // Its reschedule and cancel pages, at the same width.
  const [r] = await Promise.all([p.context().waitForEvent("page"), p.getByRole("link", { name: "Reschedule this booking" }).click()]);
  await r.locator("button.slot").first().waitFor();
  await audit(r, "reschedule page: week");
  const [c] = await Promise.all([p.context().waitForEvent("page"), p.getByRole("link", { name: "Cancel this booking" }).click()]);
  await c.getByRole("button", { name: "Yes, cancel my appointment" }).waitFor();
  await audit(c, "cancel page");
});
