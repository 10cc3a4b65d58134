// The reschedule page behind the link in a booking's confirmation and mails
// (only the customer gets it): reschedule.html#company=…&booking=…&token=…
// [&api=…][&lang=…] (id= is read as booking= too). The token travels in
// the fragment, so it never reaches a server log; the widget sends it in
// the X-Cancel-Token header. The page mounts the booking widget in its
// reschedule mode: the booking's week, its free times, and the move.
(async () => {
  "use strict";
  const q = new URLSearchParams(location.hash.slice(1));
  const company = q.get("company"), booking = q.get("booking") || q.get("id"), token = q.get("token");
  const el = document.getElementById("reschedule");
  const de = q.get("lang") === "de" || (!q.get("lang") && (navigator.languages || []).some((l) => /^de\b/i.test(l)));
  document.documentElement.lang = de ? "de" : "en";
  if (de) document.title = "Termin verschieben – slotbook";
  if (!company || !booking || !token) {
    const p = document.createElement("p");
    p.className = "alert";
    p.setAttribute("role", "alert");
    p.textContent = de
      ? "Dieser Link ist unvollständig. Bitte verwenden Sie den ganzen Link aus Ihrer Bestätigung."
      : "This link is not complete. Please use the whole link from your confirmation.";
    el.replaceChildren(p);
    return;
  }
  window.SlotbookWidget.mount(el, {
    company, api: await window.slotbookPage.apiBase(q), base: new URL(".", location.href).toString(),
    lang: de ? "de" : "en", reschedule: { booking, token },
  });
})();
