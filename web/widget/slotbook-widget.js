// slotbook booking widget. Embed it with one script tag:
//
//   <script src="https://book.example/widget/slotbook-widget.js"
//           data-company="demo" data-api="https://api.example" async></script>
//
// data-company: the company id (required). data-api: the API's base URL
// (default: the origin the script came from). Optional: data-target (a CSS
// selector of the element to render into; default: right after the script
// tag), data-lang ("de" or "en"; default: the browser's language),
// data-timezone (an IANA zone; default: the browser's).
//
// The widget renders into a shadow root, so the host page's styles do not
// leak in and its own do not leak out. It keeps nothing: no cookies, no
// storage; the customer's details go to the API once, when they book.
(() => {
  "use strict";

  const TEXT = {
    en: {
      title: "Book an appointment",
      chooseService: "Choose a service",
      chooseEmployee: "Choose who you'd like",
      anyEmployee: "Any available person",
      chooseTime: "Choose a time",
      minutes: (n) => `${n} min`,
      with: "with",
      prevWeek: "Previous week",
      nextWeek: "Next week",
      week: (a, b) => `Week of ${a} – ${b}`,
      timesIn: (zone, name) => `Times are shown in your time zone: ${name} (${zone}).`,
      noSlotsDay: "No free times",
      noSlotsWeek: "No free times this week. Try the next week.",
      nextFree: (when) => `Next free time: ${when}`,
      noneAhead: (days) => `Nothing is free in the next ${days} days.`,
      loading: "Loading…",
      slotLabel: (day, time, who) => (who ? `${time}, with ${who}, ${day}` : `${time}, ${day}`),
      yourDetails: "Your details",
      name: "Name",
      email: "E-mail",
      phone: "Phone (optional)",
      notes: "Notes (optional)",
      book: "Book now",
      booking: "Booking…",
      back: "Back",
      required: "Please fill this in.",
      confirmed: "Your appointment is booked",
      confirmText: (svc, who, when) => (who ? `${svc} with ${who}, ${when}.` : `${svc}, ${when}. Whoever is free then serves you.`),
      cancelLink: "Cancel this booking",
      addToCalendar: "Add to calendar (.ics)",
      bookAnother: "Book another appointment",
      slotTaken: "Sorry, this time was just taken by someone else. The week has been refreshed: please choose another time.",
      unavailable503: "We cannot check the calendar right now, so we could not book this time. Nothing was booked. Please try again in a moment.",
      calendarsDown: (names) => `Some calendars could not be checked right now, so no times are shown for: ${names}.`,
      invalid: "Please check the marked fields.",
      failed: "Something went wrong. Nothing was booked. Please try again.",
      notFound: "This booking page is not available.",
      language: "Deutsch",
      languageLabel: "Auf Deutsch anzeigen",
      step: (n, of) => `Step ${n} of ${of}`,
      moveTitle: "Reschedule your appointment",
      moveNow: (when) => `Your appointment now: ${when}.`,
      chooseNewTime: "Choose a new time",
      moveConfirm: (svc, who, when) => `Move ${svc} with ${who} to ${when}?`,
      move: "Move my appointment",
      moving: "Moving…",
      moved: "Your appointment has been moved",
      moveTooLate: "This appointment starts too soon to be moved online. Please contact the company.",
      moveLimit: "This appointment has been moved as often as is possible online. Please contact the company.",
      moveCancelled: "This appointment is cancelled; it cannot be moved.",
      moveInvalid: "This link is not valid for an appointment. Please use the whole link from your latest confirmation.",
      moveFailed: "The appointment could not be moved right now; it keeps its time. Please try again.",
      moveUnavailable: "We cannot update the calendar right now, so the appointment keeps its time. Please try again in a moment.",
      rescheduleLink: "Reschedule this booking",
      keepLinks: "Keep these links: you need them to reschedule or cancel.",
    },
    de: {
      title: "Termin buchen",
      chooseService: "Leistung wählen",
      chooseEmployee: "Bei wem möchten Sie buchen?",
      anyEmployee: "Egal, wer frei ist",
      chooseTime: "Zeit wählen",
      minutes: (n) => `${n} Min.`,
      with: "bei",
      prevWeek: "Vorherige Woche",
      nextWeek: "Nächste Woche",
      week: (a, b) => `Woche vom ${a} bis ${b}`,
      timesIn: (zone, name) => `Zeiten in Ihrer Zeitzone: ${name} (${zone}).`,
      noSlotsDay: "Keine freien Zeiten",
      noSlotsWeek: "Diese Woche ist nichts mehr frei. Versuchen Sie die nächste Woche.",
      nextFree: (when) => `Nächster freier Termin: ${when}`,
      noneAhead: (days) => `In den nächsten ${days} Tagen ist nichts frei.`,
      loading: "Wird geladen …",
      slotLabel: (day, time, who) => (who ? `${time}, bei ${who}, ${day}` : `${time}, ${day}`),
      yourDetails: "Ihre Angaben",
      name: "Name",
      email: "E-Mail",
      phone: "Telefon (freiwillig)",
      notes: "Anmerkungen (freiwillig)",
      book: "Jetzt buchen",
      booking: "Wird gebucht …",
      back: "Zurück",
      required: "Bitte ausfüllen.",
      confirmed: "Ihr Termin ist gebucht",
      confirmText: (svc, who, when) => (who ? `${svc} bei ${who}, ${when}.` : `${svc}, ${when}. Es bedient Sie, wer dann frei ist.`),
      cancelLink: "Diesen Termin absagen",
      addToCalendar: "In den Kalender (.ics)",
      bookAnother: "Weiteren Termin buchen",
      slotTaken: "Diese Zeit wurde gerade von jemand anderem gebucht. Die Woche wurde neu geladen: bitte wählen Sie eine andere Zeit.",
      unavailable503: "Der Kalender kann gerade nicht geprüft werden, deshalb wurde nichts gebucht. Bitte versuchen Sie es gleich noch einmal.",
      calendarsDown: (names) => `Einige Kalender können gerade nicht geprüft werden, daher keine Zeiten für: ${names}.`,
      invalid: "Bitte prüfen Sie die markierten Felder.",
      failed: "Etwas ist schiefgegangen. Es wurde nichts gebucht. Bitte versuchen Sie es noch einmal.",
      notFound: "Diese Buchungsseite gibt es nicht.",
      language: "English",
      languageLabel: "Show in English",
      step: (n, of) => `Schritt ${n} von ${of}`,
      moveTitle: "Termin verschieben",
      moveNow: (when) => `Ihr Termin bisher: ${when}.`,
      chooseNewTime: "Neue Zeit wählen",
      moveConfirm: (svc, who, when) => `${svc} bei ${who} auf ${when} verschieben?`,
      move: "Termin verschieben",
      moving: "Wird verschoben …",
      moved: "Ihr Termin wurde verschoben",
      moveTooLate: "Dieser Termin beginnt zu bald, um ihn online zu verschieben. Bitte wenden Sie sich an das Unternehmen.",
      moveLimit: "Dieser Termin wurde so oft verschoben, wie es online möglich ist. Bitte wenden Sie sich an das Unternehmen.",
      moveCancelled: "Dieser Termin ist abgesagt; er kann nicht verschoben werden.",
      moveInvalid: "Dieser Link gilt für keinen Termin. Bitte verwenden Sie den ganzen Link aus Ihrer letzten Bestätigung.",
      moveFailed: "Der Termin konnte gerade nicht verschoben werden; er bleibt, wie er war. Bitte versuchen Sie es noch einmal.",
      moveUnavailable: "Der Kalender kann gerade nicht geändert werden, deshalb bleibt der Termin, wie er war. Bitte versuchen Sie es gleich noch einmal.",
      rescheduleLink: "Diesen Termin verschieben",
      keepLinks: "Bewahren Sie diese Links auf: Sie brauchen sie zum Verschieben oder Absagen.",
    },
  };

  // Which form field an API field name belongs to.
  const FIELD = { "customer.name": "name", "customer.email": "email", "customer.phone": "phone", notes: "notes" };

  const STYLE = `
    :host { all: initial; display: block; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
      color: #1f2933; --accent: #2f6f5e; --accent-ink: #fff; --line: #d8dee4; --soft: #f4f7f6; --warn: #8a2c0d; }
    * { box-sizing: border-box; }
    .wrap { max-width: 860px; border: 1px solid var(--line); border-radius: 12px; padding: 20px; background: #fff; }
    header { display: flex; justify-content: space-between; align-items: baseline; gap: 12px; flex-wrap: wrap; }
    h2 { font-size: 1.3em; margin: 0 0 4px; }
    h3 { font-size: 1.05em; margin: 18px 0 10px; }
    h3:focus { outline: none; }
    .muted { color: #52606d; font-size: .92em; }
    button, input, textarea { font: inherit; }
    button { cursor: pointer; border-radius: 8px; border: 1px solid var(--line); background: #fff; color: inherit; padding: 8px 12px; }
    button:hover { border-color: var(--accent); }
    button:focus-visible, input:focus-visible, textarea:focus-visible, a:focus-visible { outline: 3px solid #f0b429; outline-offset: 2px; }
    button:disabled { opacity: .5; cursor: default; }
    .primary { background: var(--accent); color: var(--accent-ink); border-color: var(--accent); }
    .link { border: none; background: none; color: var(--accent); text-decoration: underline; padding: 4px; }
    .choices { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 10px; }
    .choice { text-align: left; padding: 12px 14px; }
    .choice strong { display: block; }
    .weeknav { display: flex; align-items: center; justify-content: space-between; gap: 8px; margin-bottom: 10px; }
    .days { display: grid; grid-template-columns: repeat(7, minmax(0, 1fr)); gap: 8px; }
    @media (max-width: 640px) { .days { grid-template-columns: repeat(2, 1fr); } }
    .day { background: var(--soft); border-radius: 8px; padding: 8px; min-height: 90px; }
    .day h4 { margin: 0 0 8px; font-size: .9em; text-align: center; }
    .day ul { list-style: none; margin: 0; padding: 2px; display: grid; gap: 6px; max-height: 340px; overflow-y: auto; }
    .slot { width: 100%; padding: 5px 2px; background: #fff; font-variant-numeric: tabular-nums; }
    .slot small { display: block; color: #52606d; font-size: .78em; }
    .none { color: #52606d; font-size: .85em; text-align: center; }
    form { display: grid; gap: 12px; max-width: 460px; }
    label { display: grid; gap: 4px; font-weight: 600; font-size: .95em; }
    input, textarea { font-weight: 400; padding: 8px 10px; border: 1px solid #9aa5b1; border-radius: 8px; }
    input[aria-invalid="true"], textarea[aria-invalid="true"] { border-color: var(--warn); }
    .fielderr { color: var(--warn); font-weight: 400; font-size: .88em; }
    .alert { border-left: 4px solid var(--warn); background: #fff4ef; padding: 10px 12px; border-radius: 6px; margin: 10px 0; }
    .note { border-left: 4px solid #c99a2e; background: #fffaeb; padding: 8px 12px; border-radius: 6px; margin: 10px 0; }
    .done { border-left: 4px solid var(--accent); background: #eef7f3; padding: 12px 14px; border-radius: 6px; }
    .actions { display: flex; gap: 10px; flex-wrap: wrap; align-items: center; margin-top: 12px; }
    .actions a { color: var(--accent); }
    .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  `;

  /** h builds an element: h("button", {class: "x", onclick: f}, "text", child). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(el.dataset, v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c);
    return el;
  }

  /** focusKey names a control well enough to find it again after a redraw. */
  function focusKey(el) {
    if (!el || !el.tagName) return "";
    if (el.dataset.langSwitch !== undefined) return "lang";
    return [el.tagName, el.name || "", el.dataset.start || "", el.dataset.service || "", el.dataset.employee ?? "",
      el.className, el.getAttribute("aria-label") || "", el.textContent.trim()].join("|");
  }

  /** A date "YYYY-MM-DD" plus n days. */
  function addDays(date, n) {
    const d = new Date(date + "T12:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  /** Today's date in zone. */
  function today(zone) {
    return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  }

  /** The Monday on or before date. */
  function monday(date) {
    const wd = new Date(date + "T12:00:00Z").getUTCDay(); // 0 = Sunday
    return addDays(date, -((wd + 6) % 7));
  }

  /** A new random key for the Idempotency-Key header. */
  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** The problem+json body of a failed answer, or a stand-in. */
  async function problemOf(res) {
    try {
      const p = await res.json();
      if (p && typeof p === "object") return p;
    } catch (_) { /* not JSON */ }
    return { status: res.status, code: "", errors: [] };
  }

  /** Text for an iCalendar property value (RFC 5545 3.3.11). */
  function icsText(s) {
    return String(s).replace(/\\/g, "\\\\").replace(/;/g, "\\;").replace(/,/g, "\\,").replace(/\r?\n/g, "\\n");
  }

  /** An instant in iCalendar's UTC form, 20261201T090000Z. */
  function icsTime(iso) {
    return new Date(iso).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  }

  /** Folds a content line at 75 octets (RFC 5545 3.1). */
  function icsFold(line) {
    const bytes = new TextEncoder().encode(line);
    if (bytes.length <= 75) return line;
    const out = [];
    let cur = "", len = 0;
    for (const ch of line) {
      const n = new TextEncoder().encode(ch).length;
      if (len + n > (out.length ? 74 : 75)) { out.push(cur); cur = ""; len = 0; }
      cur += ch; len += n;
    }
    out.push(cur);
    return out.join("\r\n ");
  }

  /** Widget is one mounted booking widget. */
  class Widget {
    constructor(root, opts) {
      this.root = root;
      this.company = opts.company;
      this.api = opts.api.replace(/\/+$/, "");
      this.base = opts.base;
      this.zone = opts.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
      this.lang = TEXT[opts.lang] ? opts.lang : (navigator.languages || [navigator.language || "en"]).some((l) => /^de\b/i.test(l)) ? "de" : "en";
      this.state = { step: "service", week: monday(today(this.zone)) };
      // Reschedule mode (reschedule.html): one booking, moved with its cancel token.
      this.move = opts.reschedule || null;
      this.shadow = root.attachShadow({ mode: "open" });
      this.shadow.append(h("style", {}, STYLE));
      this.view = h("div", { class: "wrap", lang: this.lang });
      this.live = h("div", { class: "sr", role: "status", "aria-live": "polite" });
      this.shadow.append(this.view, this.live);
      this.load();
    }

    get t() { return TEXT[this.lang]; }

    /** url of an API path of this company. */
    url(path, query) {
      const u = new URL(`${this.api}/v1/companies/${encodeURIComponent(this.company)}${path}`);
      for (const [k, v] of Object.entries(query || {})) if (v) u.searchParams.set(k, v);
      return u;
    }

    async load() {
      this.render();
      try {
        const res = await fetch(this.url("/profile"));
        if (!res.ok) throw Object.assign(new Error("profile"), { status: res.status });
        this.profile = await res.json();
        this.employees = new Map(this.profile.employees.map((e) => [e.id, e.name]));
        if (this.move) return this.loadBooking();
      } catch (err) {
        this.state.fatal = err.status === 404 ? this.t.notFound : this.t.failed;
      }
      this.render();
    }

    /** loadBooking reads the booking to move (reschedule mode) and shows its week. */
    async loadBooking() {
      let res;
      try {
        res = await fetch(this.url(`/bookings/${encodeURIComponent(this.move.booking)}`), { headers: { "X-Cancel-Token": this.move.token } });
      } catch (_) {
        this.state.fatal = this.t.failed;
        return this.render();
      }
      if (!res.ok) {
        this.state.fatal = [401, 403, 404].includes(res.status) ? this.t.moveInvalid : this.t.failed;
        return this.render();
      }
      const b = await res.json();
      if (b.status === "cancelled") {
        this.state.fatal = this.t.moveCancelled;
        return this.render();
      }
      const first = monday(today(this.zone)), own = monday(this.fmtDate(b.start));
      Object.assign(this.state, { current: b, service: b.service, employee: b.employee, week: own > first ? own : first });
      this.go("week");
      this.loadWeek();
    }

    /** fmtDate is the date (YYYY-MM-DD) of an instant in the customer's zone. */
    fmtDate(iso) {
      return new Intl.DateTimeFormat("en-CA", { timeZone: this.zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(iso));
    }

    /** go moves to a step and moves the focus to its heading. */
    go(step, extra) {
      Object.assign(this.state, { step, error: null, fieldErrors: null }, extra);
      this.render(true);
    }

    announce(msg) {
      this.live.textContent = "";
      setTimeout(() => { this.live.textContent = msg; }, 30);
    }

    /** fmt formats an instant in the customer's zone and language. */
    fmt(iso, opts) {
      return new Intl.DateTimeFormat(this.lang === "de" ? "de-CH" : "en-GB", { timeZone: this.zone, ...opts }).format(new Date(iso));
    }

    dayName(date, long) {
      return new Intl.DateTimeFormat(this.lang === "de" ? "de-CH" : "en-GB", {
        timeZone: "UTC", weekday: long ? "long" : "short", day: "numeric", month: long ? "long" : "short",
      }).format(new Date(date + "T12:00:00Z"));
    }

    zoneName() {
      const part = new Intl.DateTimeFormat(this.lang === "de" ? "de-CH" : "en-GB", { timeZone: this.zone, timeZoneName: "long" })
        .formatToParts(new Date()).find((p) => p.type === "timeZoneName");
      return part ? part.value : this.zone;
    }

    service() { return this.profile.services.find((s) => s.id === this.state.service); }

    render(focus) {
      const t = this.t;
      const langBtn = h("button", {
        class: "link", type: "button", lang: this.lang === "de" ? "en" : "de", "aria-label": t.languageLabel, dataset: { langSwitch: "" },
        onclick: () => {
          const form = this.view.querySelector("form");
          if (form) this.state.form = Object.fromEntries(["name", "email", "phone", "notes"].map((n) => [n, form.elements[n].value]));
          this.lang = this.lang === "de" ? "en" : "de";
          this.view.lang = this.lang;
          this.render();
        },
      }, t.language);
      const head = h("header", {}, h("div", {}, h("h2", {}, this.move ? t.moveTitle : t.title), this.profile ? h("div", { class: "muted" }, this.profile.name) : null), langBtn);
      let body;
      if (this.state.fatal) body = h("p", { class: "alert", role: "alert", tabindex: "-1", "data-focus": true }, this.state.fatal);
      else if (!this.profile) body = h("p", { class: "muted" }, t.loading);
      else body = this[`render_${this.state.step}`]();
      const keep = focusKey(this.shadow.activeElement);
      this.view.replaceChildren(head, body);
      if (!focus && keep) {
        const again = [...this.view.querySelectorAll("button, input, textarea, a")].find((el) => focusKey(el) === keep);
        if (again) again.focus();
      }
      if (focus) {
        const target = this.view.querySelector("[data-focus]") || this.view.querySelector("h3");
        if (target) target.focus();
      }
    }

    stepHeading(n, text) {
      return [h("div", { class: "muted" }, this.t.step(n, 4)), h("h3", { tabindex: "-1" }, text)];
    }

    render_service() {
      const t = this.t;
      return h("section", { "aria-label": t.chooseService },
        this.stepHeading(1, t.chooseService),
        h("div", { class: "choices" }, this.profile.services.filter((s) => s.employees.length).map((s) =>
          h("button", { class: "choice", type: "button", dataset: { service: s.id }, onclick: () => this.chooseService(s) },
            h("strong", {}, s.name), h("span", { class: "muted" }, t.minutes(s.durationMinutes))))));
    }

    chooseService(s) {
      this.state.service = s.id;
      if (s.employees.length === 1) return this.chooseEmployee(s.employees[0]);
      this.go("employee");
    }

    render_employee() {
      const t = this.t, s = this.service();
      const people = s.employees.filter((id) => this.employees.has(id));
      return h("section", { "aria-label": t.chooseEmployee },
        this.stepHeading(2, t.chooseEmployee),
        h("p", { class: "muted" }, s.name),
        h("div", { class: "choices" },
          h("button", { class: "choice", type: "button", dataset: { employee: "" }, onclick: () => this.chooseEmployee("") }, h("strong", {}, t.anyEmployee)),
          people.map((id) => h("button", { class: "choice", type: "button", dataset: { employee: id }, onclick: () => this.chooseEmployee(id) },
            h("strong", {}, this.employees.get(id))))),
        h("div", { class: "actions" }, h("button", { type: "button", onclick: () => this.go("service") }, t.back)));
    }

    chooseEmployee(id) {
      this.state.employee = id;
      this.go("week", { next: undefined });
      this.openWeek();
    }

    /**
     * openWeek asks for the first free start (one request, however far
     * ahead it lies) and shows its week; without one, this week.
     */
    async openWeek() {
      const seq = (this.seq = (this.seq || 0) + 1);
      Object.assign(this.state, { slots: null, unavailable: [], weekError: null, note: null });
      this.render();
      let next;
      try {
        const res = await fetch(this.url("/next-free", { service: this.state.service, employee: this.state.employee || "any", timezone: this.zone }));
        if (res.ok) next = await res.json();
      } catch (_) {
        // The week itself says what went wrong.
      }
      // A newer week, or the customer went back meanwhile: nothing to show.
      if (seq !== this.seq || this.state.step !== "week") return;
      const thisWeek = monday(today(this.zone));
      // null: nothing free — said only when the search reached the horizon and read every calendar.
      this.state.next = next && (next.start || (!next.unavailable.length && next.until >= this.lastDate())) ? next.start : undefined;
      this.state.week = next && next.start ? monday(this.fmtDate(next.start)) : thisWeek;
      if (next && next.start) this.announce(this.t.nextFree(this.nextFreeText(next.start)));
      this.loadWeek();
    }

    /** nextFreeText names the day and time of a start, shortly. */
    nextFreeText(iso) {
      return `${this.dayName(this.fmtDate(iso))}, ${this.fmt(iso, { hour: "2-digit", minute: "2-digit" })}`;
    }

    /** loadWeek fetches the free slots of the shown week. */
    async loadWeek(note) {
      const week = this.state.week, seq = (this.seq = (this.seq || 0) + 1);
      Object.assign(this.state, { slots: null, unavailable: [], weekError: null, note: note || null });
      // A time just taken may have been the next free one.
      if (note) this.state.next = undefined;
      this.render();
      try {
        const res = await fetch(this.url("/slots", {
          // "Anyone": each free time once; the server chooses who at booking.
          service: this.state.service, employee: this.state.employee || "any", from: week, to: addDays(week, 6), timezone: this.zone,
          // A move: the booking's own time counts as free.
          booking: this.move ? this.move.booking : "",
        }), this.move ? { headers: { "X-Cancel-Token": this.move.token } } : undefined);
        // Each await may be overtaken by a newer week: only the newest request draws.
        if (seq !== this.seq) return;
        if (!res.ok) {
          const p = await problemOf(res);
          if (seq !== this.seq) return;
          this.state.weekError = res.status === 503 ? this.t.unavailable503 : p.detail || this.t.failed;
          this.state.slots = [];
        } else {
          const body = await res.json();
          if (seq !== this.seq) return;
          this.state.slots = body.slots;
          this.state.unavailable = body.unavailable;
        }
      } catch (_) {
        if (seq !== this.seq) return;
        this.state.weekError = this.t.failed;
        this.state.slots = [];
      }
      this.render();
      if (note) {
        const alert = this.view.querySelector("[role=alert]");
        if (alert) alert.focus();
      }
    }

    moveWeek(n) {
      this.state.week = addDays(this.state.week, 7 * n);
      this.loadWeek();
      this.announce(this.t.week(this.dayName(this.state.week), this.dayName(addDays(this.state.week, 6))));
    }

    render_week() {
      const t = this.t, s = this.service(), week = this.state.week;
      const who = this.state.employee ? this.employees.get(this.state.employee) : t.anyEmployee;
      const thisWeek = monday(today(this.zone));
      const nav = h("nav", { class: "weeknav", "aria-label": t.chooseTime },
        h("button", { type: "button", onclick: () => this.moveWeek(-1), disabled: week <= thisWeek }, "← ", t.prevWeek),
        h("strong", { "aria-live": "polite" }, t.week(this.dayName(week), this.dayName(addDays(week, 6)))),
        h("button", { type: "button", onclick: () => this.moveWeek(1), disabled: addDays(week, 7) > this.lastDate() }, t.nextWeek, " →"));
      const parts = this.move ? [h("h3", { tabindex: "-1" }, t.chooseNewTime),
        h("p", { class: "done", "data-current": this.state.current.start }, t.moveNow(this.whenText(this.state.current)))] : [this.stepHeading(3, t.chooseTime)];
      parts.push(h("p", { class: "muted" }, `${s.name} · ${t.minutes(s.durationMinutes)} · ${who}`),
        h("p", { class: "muted", "data-zone": this.zone }, t.timesIn(this.zone, this.zoneName())));
      if (this.state.next) parts.push(h("p", { class: "done", dataset: { nextFree: this.state.next } }, t.nextFree(this.nextFreeText(this.state.next))));
      else if (this.state.next === null && !this.move) parts.push(h("p", { class: "note", dataset: { nextFree: "" } }, t.noneAhead(this.profile.horizonDays)));
      if (this.state.note) parts.push(h("p", { class: "alert", role: "alert", tabindex: "-1" }, this.state.note));
      if (this.state.weekError) parts.push(h("p", { class: "alert", role: "alert" }, this.state.weekError));
      if (this.state.unavailable && this.state.unavailable.length) {
        parts.push(h("p", { class: "note" }, t.calendarsDown(this.state.unavailable.map((u) => this.employees.get(u.employee) || u.employee).join(", "))));
      }
      parts.push(nav);
      if (!this.state.slots) {
        parts.push(h("p", { class: "muted", "aria-busy": "true" }, t.loading));
      } else {
        const byDay = new Map();
        for (const sl of this.state.slots) {
          const d = sl.start.slice(0, 10); // the answer carries the offset of this.zone
          if (!byDay.has(d)) byDay.set(d, []);
          byDay.get(d).push(sl);
        }
        const days = [];
        for (let i = 0; i < 7; i++) {
          const d = addDays(week, i), list = byDay.get(d) || [];
          const headId = `d-${d}`;
          days.push(h("div", { class: "day", role: "group", "aria-labelledby": headId, dataset: { date: d } },
            h("h4", { id: headId }, this.dayName(d)),
            list.length ? h("ul", {}, list.map((sl) => {
              const time = this.fmt(sl.start, { hour: "2-digit", minute: "2-digit" });
              const name = sl.employee ? this.employees.get(sl.employee) || sl.employee : null;
              return h("li", {}, h("button", {
                class: "slot", type: "button", dataset: { start: sl.start, employee: sl.employee || "" },
                "aria-label": t.slotLabel(this.dayName(d, true), time, name),
                onclick: () => this.go(this.move ? "move" : "form", { slot: sl }),
              }, time));
            })) : h("p", { class: "none" }, t.noSlotsDay)));
        }
        parts.push(h("div", { class: "days" }, days));
        if (!this.state.slots.length && !this.state.weekError) parts.push(h("p", { class: "muted" }, t.noSlotsWeek));
      }
      const s0 = this.profile.services.find((x) => x.id === this.state.service);
      if (!this.move) parts.push(h("div", { class: "actions" }, h("button", {
        type: "button", onclick: () => this.go(s0.employees.length === 1 ? "service" : "employee"),
      }, t.back)));
      return h("section", { "aria-label": t.chooseTime }, parts);
    }

    /** lastDate is the last date that can have free times (the company's horizon). */
    lastDate() {
      return addDays(today(this.zone), this.profile.horizonDays || 730);
    }

    whenText(sl) {
      return `${this.fmt(sl.start, { weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit" })}–${this.fmt(sl.end, { hour: "2-digit", minute: "2-digit" })} (${this.zone})`;
    }

    /** render_move asks to confirm the move to the chosen slot (reschedule mode). */
    render_move() {
      const t = this.t, sl = this.state.slot, s = this.service(), b = this.state.current;
      return h("section", { "aria-label": t.moveTitle },
        h("h3", { tabindex: "-1" }, t.moveTitle),
        h("p", { class: "muted" }, t.moveNow(this.whenText(b))),
        h("p", { class: "done" }, t.moveConfirm(s.name, this.employees.get(b.employee) || b.employee, this.whenText(sl))),
        this.state.error ? h("p", { class: "alert", role: "alert", tabindex: "-1", "data-focus": true }, this.state.error) : null,
        h("div", { class: "actions" },
          h("button", { class: "primary", type: "button", disabled: this.state.busy, onclick: () => this.reschedule() }, this.state.busy ? t.moving : t.move),
          h("button", { type: "button", onclick: () => { this.go("week"); this.loadWeek(); } }, t.back)));
    }

    /** reschedule moves the booking to the chosen slot. */
    async reschedule() {
      const t = this.t, sl = this.state.slot;
      this.state.busy = true;
      this.render();
      let res;
      try {
        res = await fetch(this.url(`/bookings/${encodeURIComponent(this.move.booking)}/reschedule`), {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-Cancel-Token": this.move.token },
          body: JSON.stringify({ start: sl.start }),
        });
      } catch (_) {
        this.state.busy = false;
        return this.go("move", { error: t.moveFailed });
      }
      this.state.busy = false;
      if (res.status === 200) {
        const b = await res.json().catch(() => null);
        if (!b) return this.go("move", { error: t.moveFailed });
        this.state.current = b;
        return this.go("done", { booking: { ...b, cancelToken: this.move.token } });
      }
      const p = await problemOf(res);
      if (res.status === 409 && p.code === "slot_taken") {
        this.state.step = "week";
        this.announce(t.slotTaken);
        return this.loadWeek(t.slotTaken);
      }
      const final = { too_late: t.moveTooLate, reschedule_limit: t.moveLimit, booking_cancelled: t.moveCancelled }[res.status === 409 ? p.code : ""];
      if (final || [401, 403, 404].includes(res.status)) {
        this.state.fatal = final || t.moveInvalid;
        return this.render(true);
      }
      this.go("move", { error: res.status === 503 ? t.moveUnavailable : t.moveFailed });
    }

    render_form() {
      if (this.move) return this.render_move();
      const t = this.t, sl = this.state.slot, s = this.service(), f = this.state.form || {};
      const errs = this.state.fieldErrors || {};
      const field = (name, label, el) => {
        const errId = `err-${name}`;
        el.id = `f-${name}`;
        el.name = name;
        if (errs[name]) { el.setAttribute("aria-invalid", "true"); el.setAttribute("aria-describedby", errId); }
        return h("label", {}, label, el, errs[name] ? h("span", { class: "fielderr", id: errId }, errs[name]) : null);
      };
      const form = h("form", { novalidate: true, onsubmit: (e) => { e.preventDefault(); this.submit(form); } },
        field("name", t.name, h("input", { type: "text", autocomplete: "name", required: true, maxlength: "200", value: f.name || "" })),
        field("email", t.email, h("input", { type: "email", autocomplete: "email", required: true, maxlength: "254", value: f.email || "" })),
        field("phone", t.phone, h("input", { type: "tel", autocomplete: "tel", maxlength: "40", value: f.phone || "" })),
        field("notes", t.notes, h("textarea", { rows: "3", maxlength: "2000" }, f.notes || "")),
        h("div", { class: "actions" },
          h("button", { class: "primary", type: "submit", disabled: this.state.busy }, this.state.busy ? t.booking : t.book),
          h("button", { type: "button", onclick: () => { this.go("week"); this.loadWeek(); } }, t.back)));
      return h("section", { "aria-label": t.yourDetails },
        this.stepHeading(4, t.yourDetails),
        h("p", { class: "done" }, t.confirmText(s.name, sl.employee ? this.employees.get(sl.employee) || sl.employee : null, this.whenText(sl))),
        this.state.error ? h("p", { class: "alert", role: "alert", tabindex: "-1", "data-focus": true }, this.state.error) : null,
        form);
    }

    /** submit books the chosen slot with the form's details. */
    async submit(form) {
      const t = this.t, v = (n) => form.elements[n].value.trim();
      const f = { name: v("name"), email: v("email"), phone: v("phone"), notes: v("notes") };
      const fieldErrors = {};
      if (!f.name) fieldErrors.name = t.required;
      if (!f.email) fieldErrors.email = t.required;
      this.state.form = f;
      if (Object.keys(fieldErrors).length) return this.go("form", { error: t.invalid, fieldErrors });
      // The same attempt (same slot, same details) keeps its key, so a retry
      // after a lost answer books once; anything else is a new attempt.
      const sl = this.state.slot;
      const attempt = JSON.stringify([this.state.service, sl.employee, sl.start, f]);
      if (attempt !== this.state.attempt) Object.assign(this.state, { attempt, key: newKey() });
      this.state.busy = true;
      this.render();
      let res;
      try {
        res = await fetch(this.url("/bookings"), {
          method: "POST",
          headers: { "Content-Type": "application/json", "Idempotency-Key": this.state.key },
          body: JSON.stringify({
            service: this.state.service, employee: sl.employee || "any", start: sl.start,
            customer: { name: f.name, email: f.email, phone: f.phone }, notes: f.notes, lang: this.lang,
          }),
        });
      } catch (_) {
        this.state.busy = false;
        return this.go("form", { error: t.failed });
      }
      this.state.busy = false;
      if (res.status === 201) {
        let booking;
        try {
          booking = await res.json();
        } catch (_) {
          return this.go("form", { error: t.failed }); // the same attempt, and key, books once
        }
        // Done: a later booking, even of the same time, is a new attempt.
        Object.assign(this.state, { form: null, attempt: null, key: null });
        return this.go("done", { booking });
      }
      const p = await problemOf(res);
      if (res.status === 409 && p.code === "slot_taken") {
        this.state.step = "week";
        this.announce(t.slotTaken);
        return this.loadWeek(t.slotTaken);
      }
      if (res.status === 503) return this.go("form", { error: t.unavailable503 });
      if (res.status === 400 || res.status === 422) {
        const fe = {};
        for (const e of p.errors || []) if (FIELD[e.field]) fe[FIELD[e.field]] = e.message;
        return this.go("form", { error: Object.keys(fe).length ? t.invalid : p.detail || t.failed, fieldErrors: fe });
      }
      this.go("form", { error: p.detail || t.failed });
    }

    cancelURL(b) { return this.pageURL("cancel.html", b); }

    rescheduleURL(b) { return this.pageURL("reschedule.html", b); }

    /** pageURL links one of the widget's pages for booking b; the token in the fragment. */
    pageURL(page, b) {
      const u = new URL(page, this.base);
      const q = new URLSearchParams({ company: this.company, booking: b.id, token: b.cancelToken });
      if (new URL(this.api).origin !== u.origin) q.set("api", this.api);
      q.set("lang", this.lang);
      u.hash = q.toString();
      return u.toString();
    }

    /** ics returns the booking as an iCalendar file for the customer's own calendar. */
    ics(b, cancel) {
      const s = this.service(), who = this.employees.get(b.employee) || b.employee;
      const lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//slotbook//booking widget//EN", "METHOD:PUBLISH", "BEGIN:VEVENT",
        `UID:${b.id}@slotbook`, `DTSTAMP:${icsTime(new Date().toISOString())}`,
        `DTSTART:${icsTime(b.start)}`, `DTEND:${icsTime(b.end)}`,
        `SUMMARY:${icsText(`${s.name} – ${this.profile.name}`)}`,
        `DESCRIPTION:${icsText(`${s.name} ${this.t.with} ${who}.\n${this.t.cancelLink}: ${cancel}`)}`,
        `URL:${cancel}`, "END:VEVENT", "END:VCALENDAR",
      ];
      return lines.map(icsFold).join("\r\n") + "\r\n";
    }

    render_done() {
      const t = this.t, b = this.state.booking, s = this.service();
      const cancel = this.cancelURL(b);
      const file = URL.createObjectURL(new Blob([this.ics(b, cancel)], { type: "text/calendar" }));
      const heading = this.move ? t.moved : t.confirmed;
      return h("section", { "aria-label": heading, "data-booking": b.id },
        h("h3", { tabindex: "-1" }, heading),
        h("p", { class: "done", role: "status" }, t.confirmText(s.name, this.employees.get(b.employee) || b.employee, this.whenText(b))),
        h("p", { class: "muted" }, t.keepLinks),
        h("div", { class: "actions" },
          this.move ? null : h("a", { href: this.rescheduleURL(b), target: "_blank", rel: "noopener" }, t.rescheduleLink),
          h("a", { href: cancel, target: "_blank", rel: "noopener" }, t.cancelLink),
          h("a", { href: file, download: `booking-${b.start.slice(0, 10)}.ics` }, t.addToCalendar),
          this.move ? null : h("button", { type: "button", onclick: () => { this.state.week = monday(today(this.zone)); this.go("service"); } }, t.bookAnother)));
    }
  }

  /** mount renders a widget into el; opts: company, api, lang, timezone, and
   *  reschedule ({booking, token}) to move one booking instead of booking. */
  function mount(el, opts) {
    return new Widget(el, { base: opts.base || new URL(".", location.href).toString(), ...opts });
  }

  window.SlotbookWidget = { mount };

  const script = document.currentScript;
  if (script && script.dataset.company) {
    const src = new URL(script.src, location.href);
    let el = script.dataset.target && document.querySelector(script.dataset.target);
    if (!el) {
      el = document.createElement("div");
      script.after(el);
    }
    mount(el, {
      company: script.dataset.company,
      api: script.dataset.api || src.origin,
      base: new URL(".", src).toString(),
      lang: script.dataset.lang,
      timezone: script.dataset.timezone,
    });
  }
})();
