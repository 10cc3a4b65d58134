// The cancel page behind the link in a booking confirmation (only the
// customer gets it): cancel.html#company=…&booking=…&token=…[&api=…][&lang=…].
// The token travels in the fragment, so it never reaches a server log; the
// page sends it once, in the X-Cancel-Token header, when the customer confirms.
(async () => {
  "use strict";
  const TEXT = {
    en: {
      title: "Cancel your appointment",
      ask: "Do you want to cancel this appointment? The time becomes free for others.",
      confirm: "Yes, cancel my appointment",
      working: "Cancelling…",
      done: "Your appointment is cancelled.",
      gone: "This appointment is already cancelled or no longer exists.",
      already: "This appointment is cancelled already.",
      tooLate: "This appointment starts too soon to be cancelled online. Please contact the company.",
      bad: "This cancel link is not complete. Please use the whole link from your confirmation.",
      denied: "This cancel link is not valid for this appointment.",
      failed: "The appointment could not be cancelled right now. Please try again in a moment.",
    },
    de: {
      title: "Termin absagen",
      ask: "Möchten Sie diesen Termin absagen? Die Zeit wird für andere frei.",
      confirm: "Ja, Termin absagen",
      working: "Wird abgesagt …",
      done: "Ihr Termin ist abgesagt.",
      gone: "Dieser Termin ist bereits abgesagt oder existiert nicht mehr.",
      already: "Dieser Termin ist bereits abgesagt.",
      tooLate: "Dieser Termin beginnt zu bald, um ihn online abzusagen. Bitte wenden Sie sich an das Unternehmen.",
      bad: "Dieser Absage-Link ist unvollständig. Bitte verwenden Sie den ganzen Link aus Ihrer Bestätigung.",
      denied: "Dieser Absage-Link gilt nicht für diesen Termin.",
      failed: "Der Termin konnte gerade nicht abgesagt werden. Bitte versuchen Sie es gleich noch einmal.",
    },
  };
  const q = new URLSearchParams(location.hash.slice(1));
  const lang = TEXT[q.get("lang")] ? q.get("lang") : (navigator.languages || []).some((l) => /^de\b/i.test(l)) ? "de" : "en";
  const t = TEXT[lang];
  document.documentElement.lang = lang;
  document.title = `${t.title} – slotbook`;
  document.getElementById("title").textContent = t.title;
  const box = document.getElementById("cancel");

  /** say shows one final message, and moves the focus to it; role alert for failures. */
  function say(text, kind) {
    const p = document.createElement("p");
    p.className = kind === "error" ? "alert" : "done";
    p.setAttribute("role", kind === "error" ? "alert" : "status");
    p.tabIndex = -1;
    p.textContent = text;
    box.replaceChildren(p);
    p.focus();
  }

  const company = q.get("company"), booking = q.get("booking"), token = q.get("token");
  if (!company || !booking || !token) return say(t.bad, "error");

  const api = await window.slotbookPage.apiBase(q);

  const ask = document.createElement("p");
  ask.textContent = t.ask;
  const btn = document.createElement("button");
  btn.type = "button";
  btn.textContent = t.confirm;
  const retry = document.createElement("p");
  retry.className = "alert";
  retry.setAttribute("role", "alert");
  // again keeps the button for another try (the API may be busy for a moment).
  const again = () => {
    btn.disabled = false;
    btn.textContent = t.confirm;
    retry.textContent = t.failed;
    box.replaceChildren(ask, btn, retry);
    btn.focus();
  };
  btn.addEventListener("click", async () => {
    btn.disabled = true;
    btn.textContent = t.working;
    let res;
    try {
      res = await fetch(`${api}/v1/companies/${encodeURIComponent(company)}/bookings/${encodeURIComponent(booking)}`, {
        method: "DELETE", headers: { "X-Cancel-Token": token },
      });
    } catch (_) {
      return again();
    }
    if (res.status === 204) {
      history.replaceState(null, "", location.pathname); // forget the token
      return say(t.done);
    }
    if (res.status === 404) return say(t.gone, "error");
    const code = res.status === 409 ? (await res.json().catch(() => ({}))).code : "";
    if (code === "booking_cancelled") {
      history.replaceState(null, "", location.pathname);
      return say(t.already);
    }
    if (code === "too_late") return say(t.tooLate, "error");
    if (res.status === 401 || res.status === 403) return say(t.denied, "error");
    again();
  });
  box.replaceChildren(ask, btn);
})();
