// A real CalDAV calendar (Radicale, started by the Go test) connected in
// the dashboard: its events block the widget's slots and show in the week
// view, a booking made in the widget lands in it, and cancelling in the
// dashboard takes the event out again.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { api, base, launch, page, token, toForm } from "./harness.mjs";

const dav = {
  url: process.env.SLOTBOOK_CALDAV_URL, user: process.env.SLOTBOOK_CALDAV_USER,
  password: process.env.SLOTBOOK_CALDAV_PASSWORD, calendar: process.env.SLOTBOOK_CALDAV_CALENDAR,
};
if (!dav.url) throw new Error("SLOTBOOK_CALDAV_URL must be set: run the browser tests through go test ./cmd/devserver -run TestBrowser");
const auth = { Authorization: `Basic ${Buffer.from(`${dav.user}:${dav.password}`).toString("base64")}` };

/** davObjects returns the calendar's objects: path → iCalendar text. */
async function davObjects() {
  const res = await fetch(dav.url + dav.calendar, {
    method: "PROPFIND", headers: { ...auth, Depth: "1", "Content-Type": "application/xml" },
    body: '<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>',
  });
  assert.equal(res.status, 207);
  const hrefs = [...(await res.text()).matchAll(/<(?:\w+:)?href>([^<]+\.ics)<\/(?:\w+:)?href>/g)].map((m) => m[1]);
  const out = new Map();
  for (const h of hrefs) out.set(h, await fetch(new URL(h, dav.url), { headers: auth }).then((r) => r.text()));
  return out;
}

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("CalDAV: connected in the dashboard, its events block slots, a booking lands in it, a cancel removes it", async (t) => {
  // Ben's own appointment tomorrow 11:00–12:00 Zurich time.
  const tomorrow = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Zurich" }).format(new Date(Date.now() + 86400000));
  const c = tomorrow.replace(/-/g, "");
  const put = await fetch(`${dav.url}${dav.calendar}own.ics`, {
    method: "PUT", headers: { ...auth, "Content-Type": "text/calendar" },
    body: ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//e2e//EN", "BEGIN:VEVENT", "UID:own-1@example.org", "DTSTAMP:20260101T000000Z",
      `DTSTART;TZID=Europe/Zurich:${c}T110000`, `DTEND;TZID=Europe/Zurich:${c}T120000`, "SUMMARY:Physio", "END:VEVENT", "END:VCALENDAR", ""].join("\r\n"),
  });
  assert.ok([201, 204].includes(put.status), `PUT ${put.status}`);

  const d = await page(browser, t);
  await d.goto(`${base}/dashboard/#token=${token}`);
  await d.goto(`${base}/dashboard/#/calendars?employee=ben`);
  await d.getByLabel("Server URL").fill(dav.url);
  await d.getByLabel("Username").fill(dav.user);
  await d.getByLabel("Password").fill(dav.password);
  await d.getByRole("button", { name: "Connect CalDAV calendar" }).click();
  const card = d.locator("article[data-calendar]");
  await card.waitFor();
  const id = await card.getAttribute("data-calendar");
  t.after(() => api("DELETE", `/employees/ben/calendars/${id}`));
  assert.equal(await card.getByLabel("Default calendar for new bookings").isChecked(), true, "the first writable calendar is the default");
  assert.match(await card.innerText(), /Ben at work/);
  assert.doesNotMatch(JSON.stringify((await api("GET", "/employees/ben/calendars")).body), new RegExp(dav.password), "the password is never returned");

  // The appointment blocks 10:45 (with the haircut's 10-minute buffer after, 10:30 too) to 11:45.
  const slots = await fetch(`${base}/v1/companies/demo/slots?service=haircut&employee=ben&from=${tomorrow}&to=${tomorrow}`).then((r) => r.json());
  const times = slots.slots.map((s) => s.start.slice(11, 16));
  for (const hhmm of ["10:30", "10:45", "11:00", "11:30"]) assert.ok(!times.includes(hhmm), `${hhmm} is free despite the appointment: ${times}`);

  // A booking through the widget lands in the calendar.
  const p = await page(browser, t);
  const start = await toForm(p, "haircut", "ben", "Paula Dav");
  await p.getByRole("button", { name: "Book now" }).click();
  await p.getByRole("heading", { name: "Your appointment is booked" }).waitFor();
  const bookingId = await p.locator("section[data-booking]").getAttribute("data-booking");
  const written = [...(await davObjects()).values()].filter((ics) => ics.includes("Paula Dav"));
  assert.equal(written.length, 1, "one event for the booking");
  // In the employee's zone, which is Zurich like the customer's: the wall-clock time of the slot.
  const wall = start.slice(0, 19).replace(/[-:]/g, "");
  assert.match(written[0], new RegExp(`^DTSTART;TZID=Europe/Zurich:${wall}\r$`, "m"));
  assert.match(written[0], new RegExp(`Booking: ${bookingId}`));

  // The week view shows the calendar's busy time (without its title) and the booking.
  await d.goto(`${base}/dashboard/#/week?employee=ben&date=${tomorrow}`);
  const busy = d.locator(`[data-testid="week"] [data-date="${tomorrow}"] [data-external="${id}"]`).first();
  await busy.waitFor();
  assert.doesNotMatch(await busy.innerText(), /Physio/);
  await d.goto(`${base}/dashboard/#/week?employee=ben&date=${start.slice(0, 10)}`);
  const block = d.locator(`[data-testid="week"] [data-booking="${bookingId}"]`);
  await block.waitFor();

  // Cancelling in the dashboard takes the event out of the calendar.
  await block.click();
  await d.getByRole("button", { name: "Cancel booking" }).click();
  await d.getByRole("button", { name: "Yes, cancel" }).click();
  await block.waitFor({ state: "detached" });
  const left = [...(await davObjects()).values()];
  assert.equal(left.filter((ics) => ics.includes("Paula Dav")).length, 0, "the event is gone");
  assert.equal(left.filter((ics) => ics.includes("Physio")).length, 1, "Ben's own appointment stays");
});
