// The mails in a real chromium: a booking made in the widget brings a
// confirmation into MailDev (the local mail catcher of make dev); its HTML
// shows the appointment, and the cancel link in it cancels the booking.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { api, base, fillDetails, launch, openWeek, page, shot, token } from "./harness.mjs";

const maildev = process.env.SLOTBOOK_MAILDEV_URL;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/**
 * mail waits until MailDev holds the mail with the Message-ID slotbook gives
 * notification id of booking (<booking.id@slotbook>), and returns it.
 */
async function mail(booking, id) {
  const want = `<${booking}.${id}@slotbook>`;
  for (let i = 0; i < 150; i++) {
    const all = await fetch(`${maildev}/api/email`).then((r) => r.json());
    const found = all.filter((m) => m.headers["message-id"] === want);
    assert.ok(found.length <= 1, `${found.length} mails ${want}`);
    if (found.length) return found[0];
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`no mail ${want} within 30 s`);
}

test("the confirmation mail arrives, shows the appointment, and its cancel link cancels it", { skip: !maildev && "SLOTBOOK_MAILDEV_URL is not set" }, async (t) => {
  const p = await page(browser, t);
  const slot = await openWeek(p, "haircut", "ana");
  const start = await slot.getAttribute("data-start");
  await slot.click();
  await fillDetails(p, "Mia Mail");
  await p.getByRole("button", { name: "Book now" }).click();
  await p.getByRole("heading", { name: "Your appointment is booked" }).waitFor();
  const id = await p.locator("section[data-booking]").getAttribute("data-booking");
  t.after(() => api("DELETE", `/bookings/${id}`));

  // One confirmation to the customer (whose address fillDetails typed), in
  // the widget's language, and one to Ana.
  const confirmation = await mail(id, "0-booked-customer");
  assert.deepEqual(confirmation.envelope.to.map((x) => x.address), ["erika@example.org"]);
  const when = new Date(start).toLocaleTimeString("en-GB", { timeZone: "Europe/Zurich", hour: "2-digit", minute: "2-digit" });
  assert.match(confirmation.subject, new RegExp(`^Confirmed: Haircut on .* at ${when}$`));
  const toAna = await mail(id, "0-booked-employee");
  assert.deepEqual(toAna.envelope.to.map((x) => x.address), ["ana@demo.example"]);

  // The dashboard shows, per booking, what was sent.
  const d = await page(browser, t);
  await d.goto(`${base}/dashboard/#token=${token}`);
  await d.goto(`${base}/dashboard/#/week?employee=ana&date=${start.slice(0, 10)}&booking=${id}`);
  const sent = d.locator('[data-testid="mails"] [data-mail="0-booked-customer"][data-state="sent"]');
  await sent.waitFor();
  assert.match(await sent.innerText(), /^Confirmation to the customer: sent/);
  assert.equal(await d.locator('[data-testid="mails"] [data-mail="0-booked-employee"][data-state="sent"]').count(), 1);
  await shot(d.getByRole("dialog"), "dashboard-mails");

  // MailDev's page lists it; its HTML is the mail as the customer sees it.
  const inbox = await page(browser, t);
  await inbox.goto(`${maildev}/`);
  await inbox.getByText(confirmation.subject).first().click();
  await inbox.getByText("Your appointment is booked.").waitFor().catch(() => {}); // the viewer may show it in a frame
  await shot(inbox, "mail-inbox");
  const m = await page(browser, t, { viewport: { width: 640, height: 720 } });
  // MailDev's /html drops the <head> (and its charset) and is served without
  // one: the page is given the text, which fetch has decoded as UTF-8.
  const html = await fetch(`${maildev}/api/email/${confirmation.id}/html`).then((r) => r.text());
  await m.setContent(html);
  await m.getByText("Your appointment is booked.").waitFor();
  await m.getByText("Ana Keller").waitFor();
  await shot(m, "mail-confirmation");

  // The link in the mail opens the cancel page, which cancels.
  const link = await m.getByRole("link", { name: "Cancel the appointment" }).getAttribute("href");
  assert.ok(link.startsWith(`${base}/widget/cancel.html#`), link);
  const c = await page(browser, t);
  await c.goto(link);
  await c.getByRole("button", { name: "Yes, cancel my appointment" }).click();
  await c.getByText("Your appointment is cancelled.").waitFor();

  // And the cancellation follows by mail.
  const cancelled = await mail(id, "1-cancelled-customer");
  assert.match(cancelled.subject, /^Cancelled: Haircut/);
  const source = await fetch(`${maildev}/api/email/${cancelled.id}/source`).then((r) => r.text());
  assert.match(source, /METHOD:CANCEL/);
  assert.match(source, new RegExp(`UID:${id}@slotbook`));
});
