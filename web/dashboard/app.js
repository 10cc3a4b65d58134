// slotbook staff dashboard: a plain ES module, no framework, no build step.
// Every string that comes from the API is written with textContent (through h()).

/* ------------------------------------------------------------------ basics */

const KEY = {
  token: 'slotbook.token', refresh: 'slotbook.refresh', company: 'slotbook.company',
  pkce: 'slotbook.pkce', message: 'slotbook.message',
};
const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
const PX_PER_HOUR = 48;

const state = {
  cfg: { api: '', auth: { mode: 'local' } },
  token: null, claims: null, company: null,
  settings: null, employees: [], services: [], tz: BROWSER_ZONE,
};
let routeSeq = 0;
let lastPage = null;

const $ = (id) => document.getElementById(id);

// h builds a DOM element: attributes (on* = listeners, value/checked set as properties)
// and children (strings become text nodes; null/false are skipped; arrays are flattened).
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  const props = {};
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' || k === 'checked') props[k] = v;
    else if (k === 'class') el.className = v;
    else if (k === 'style' && typeof v === 'object') {
      for (const [p, x] of Object.entries(v)) { if (p.startsWith('--')) el.style.setProperty(p, x); else el.style[p] = x; }
    }
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  el.append(...children.flat(Infinity).filter((c) => c != null && c !== false)
    .map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
  Object.assign(el, props);
  return el;
}

// announce shows a success message in the role=status live region.
function announce(msg) {
  const el = $('status');
  $('alert').textContent = '';
  el.textContent = '';
  setTimeout(() => { el.textContent = msg; }, 30);
}

// showError shows an error message in the role=alert live region.
function showError(msg) {
  const el = $('alert');
  el.textContent = '';
  setTimeout(() => { el.textContent = msg; }, 30);
}

// clearMessages empties both live regions.
function clearMessages() {
  $('status').textContent = '';
  $('alert').textContent = '';
}

/* ------------------------------------------------------------ dates, zones */

// pad2 pads a number to two digits.
const pad2 = (n) => String(n).padStart(2, '0');

// todayIn returns today's date (YYYY-MM-DD) in zone tz.
function todayIn(tz) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date());
}

// addDays adds n days to a YYYY-MM-DD date.
function addDays(d, n) {
  const t = new Date(`${d}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}

// mondayOf returns the Monday of the week that contains date d.
function mondayOf(d) {
  const wd = (new Date(`${d}T00:00:00Z`).getUTCDay() + 6) % 7;
  return addDays(d, -wd);
}

// validDate returns d when it is a real YYYY-MM-DD date, else null.
function validDate(d) {
  return d && /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) ? d : null;
}

// fmtDate formats a pure date (YYYY-MM-DD) with Intl; opts as for DateTimeFormat.
function fmtDate(d, opts) {
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', ...opts }).format(new Date(`${d}T00:00:00Z`));
}

// fmtTime formats an RFC 3339 instant as HH:MM in the company zone.
function fmtTime(s) {
  return new Intl.DateTimeFormat('en-GB', { timeZone: state.tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .format(new Date(s));
}

// fmtDateTime formats an RFC 3339 instant with date and time in the company zone.
function fmtDateTime(s) {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: state.tz, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(new Date(s));
}

// fmtRange formats "start–end" of two instants (times only).
const fmtRange = (a, b) => `${fmtTime(a)}–${fmtTime(b)}`;

// zoneOffset returns the UTC offset of zone tz at instant ms, in minutes.
function zoneOffset(tz, ms) {
  const part = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' })
    .formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value || 'GMT';
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(part);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] || 0)) : 0;
}

// offsetString renders an offset in minutes as +HH:MM.
function offsetString(min) {
  const a = Math.abs(min);
  return `${min < 0 ? '-' : '+'}${pad2(Math.floor(a / 60))}:${pad2(a % 60)}`;
}

// localToRfc3339 reads a datetime-local value (wall clock in zone tz) as RFC 3339 with
// that zone's offset on that date (a time skipped by a DST gap takes the offset before it).
function localToRfc3339(value, tz) {
  const [d, t] = value.split('T');
  const hm = t.slice(0, 5);
  const wall = Date.parse(`${d}T${hm}:00Z`);
  const before = zoneOffset(tz, wall - 86400000);
  let off = zoneOffset(tz, wall - before * 60000);
  if (zoneOffset(tz, wall - off * 60000) !== off) off = before;
  return `${d}T${hm}:00${offsetString(off)}`;
}

// rfcToLocal turns an RFC 3339 instant into a datetime-local value in the company zone.
function rfcToLocal(s) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: state.tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(s)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

// minutesOf reads the wall-clock minutes of the day from an RFC 3339 string.
const minutesOf = (s) => Number(s.slice(11, 13)) * 60 + Number(s.slice(14, 16));

// segments splits [start, end) (RFC 3339 with the requested zone's offset) into per-day
// pieces {date, from, to} in minutes of that day, only for the dates first…last shown
// (an absence of months must still show in the week it covers).
function segments(start, end, first, last) {
  const out = [];
  let d = start.slice(0, 10);
  let from = minutesOf(start);
  if (d < first) { d = first; from = 0; }
  const ed = end.slice(0, 10) > last ? addDays(last, 1) : end.slice(0, 10);
  const to = end.slice(0, 10) > last ? 0 : minutesOf(end);
  for (; d < ed; d = addDays(d, 1), from = 0) {
    if (from < 1440) out.push({ date: d, from, to: 1440 });
  }
  if (d !== ed) return out;
  if (to > from) out.push({ date: d, from, to });
  else if (to <= from && start.slice(0, 10) === ed && Date.parse(end) > Date.parse(start)) {
    // Across the repeated hour of an autumn night the wall clock runs backwards: keep the real length.
    out.push({ date: d, from, to: Math.min(1440, from + (Date.parse(end) - Date.parse(start)) / 60000) });
  }
  return out;
}

// zoneNames lists the IANA zones the browser knows (for the datalist).
function zoneNames() {
  try { return Intl.supportedValuesOf('timeZone'); } catch { return [BROWSER_ZONE]; }
}

/* ---------------------------------------------------------------- auth */

// decodeJwt returns the payload of a JWT (base64url JSON), or null.
function decodeJwt(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(part + '='.repeat((4 - (part.length % 4)) % 4));
    const json = new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
    const p = JSON.parse(json);
    return p && typeof p === 'object' ? p : null;
  } catch { return null; }
}

// isExpired tells whether claims are expired (with a margin in seconds).
const isExpired = (claims, margin = 0) => typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now() + margin * 1000;

const cognito = () => state.cfg.auth?.mode === 'cognito';

// pageUrl is the dashboard URL without query or fragment (the OAuth redirect_uri).
const pageUrl = () => location.origin + location.pathname;

// base64url encodes bytes without padding.
function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// randomString returns a URL-safe random string.
const randomString = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

// startCognitoLogin sends the browser to the Cognito authorize endpoint (code flow + PKCE S256).
async function startCognitoLogin() {
  const a = state.cfg.auth;
  const verifier = randomString();
  const st = randomString();
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(KEY.pkce, JSON.stringify({ verifier, state: st, hash: location.hash }));
  const q = new URLSearchParams({
    response_type: 'code', client_id: a.clientId, redirect_uri: pageUrl(),
    scope: a.scopes || 'openid email profile', state: st,
    code_challenge: challenge, code_challenge_method: 'S256',
  });
  location.assign(`${a.domain.replace(/\/$/, '')}/oauth2/authorize?${q}`);
}

// tokenRequest posts a form to the Cognito token endpoint and returns its JSON.
async function tokenRequest(form) {
  const a = state.cfg.auth;
  const res = await fetch(`${a.domain.replace(/\/$/, '')}/oauth2/token`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: a.clientId, ...form }),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok || !data.id_token) throw new Error(data.error_description || data.error || `Sign-in failed (${res.status}).`);
  return data;
}

// finishCognitoLogin exchanges ?code=&state= for tokens after the redirect back; it
// returns an error message or null.
async function finishCognitoLogin() {
  const q = new URLSearchParams(location.search);
  if (!q.has('code') && !q.has('error')) return null;
  const saved = JSON.parse(sessionStorage.getItem(KEY.pkce) || 'null');
  sessionStorage.removeItem(KEY.pkce);
  history.replaceState(null, '', pageUrl() + (saved?.hash || ''));
  if (!saved || saved.state !== q.get('state')) return 'The sign-in answer did not match this browser session. Please try again.';
  if (q.has('error')) return `Sign-in failed: ${q.get('error_description') || q.get('error')}`;
  try {
    const t = await tokenRequest({
      grant_type: 'authorization_code', code: q.get('code'), redirect_uri: pageUrl(), code_verifier: saved.verifier,
    });
    sessionStorage.setItem(KEY.token, t.id_token);
    if (t.refresh_token) sessionStorage.setItem(KEY.refresh, t.refresh_token);
    return null;
  } catch (e) { return e.message; }
}

let refreshing = null;
// ensureFreshToken refreshes the Cognito id token shortly before it expires (one request at a time).
async function ensureFreshToken() {
  if (!state.claims || !isExpired(state.claims, 120)) return;
  const rt = sessionStorage.getItem(KEY.refresh);
  if (!cognito() || !rt) {
    if (isExpired(state.claims)) expireSession('Your session has expired. Please sign in again.');
    return;
  }
  refreshing ||= tokenRequest({ grant_type: 'refresh_token', refresh_token: rt })
    .then((t) => { setToken(t.id_token); if (t.refresh_token) sessionStorage.setItem(KEY.refresh, t.refresh_token); })
    .catch(() => { if (isExpired(state.claims)) expireSession('Your session has expired. Please sign in again.'); })
    .finally(() => { refreshing = null; });
  await refreshing;
}

// setToken stores a bearer token and its decoded claims.
function setToken(token) {
  sessionStorage.setItem(KEY.token, token);
  state.token = token;
  state.claims = decodeJwt(token) || {};
}

// clearSession forgets tokens and company data.
function clearSession() {
  for (const k of [KEY.token, KEY.refresh, KEY.company]) sessionStorage.removeItem(k);
  Object.assign(state, { token: null, claims: null, company: null, settings: null, employees: [], services: [] });
}

// expireSession signs out locally and shows the sign-in page with a message.
function expireSession(msg) {
  clearSession();
  showSignIn(msg);
}

// signOut clears the session; in Cognito mode it also ends the hosted-UI session.
function signOut() {
  clearSession();
  sessionStorage.removeItem(OAUTH_KEY);
  if (cognito()) {
    const a = state.cfg.auth;
    const q = new URLSearchParams({ client_id: a.clientId, logout_uri: pageUrl() });
    location.assign(`${a.domain.replace(/\/$/, '')}/logout?${q}`);
    return;
  }
  showSignIn('You are signed out.', 'status');
}

const role = () => state.claims?.['custom:role'] || '';
const isAdmin = () => role() === 'admin';
// canEditEmployee tells whether the user may change employee e's own data.
const canEditEmployee = (e) => isAdmin() || (role() === 'staff' && state.claims?.sub === e);

/* ----------------------------------------------------------------- API */

class ApiError extends Error {
  // constructor keeps the status and the problem document's field errors.
  constructor(status, problem, fallback) {
    super(problem?.detail || problem?.title || fallback || `The request failed (${status}).`);
    this.status = status;
    this.problem = problem || {};
    this.fields = Array.isArray(problem?.errors) ? problem.errors : [];
  }
}

// api calls ${api}/v1/companies/{company}{path} with the bearer token and returns the JSON answer.
async function api(method, path, body) {
  await ensureFreshToken();
  if (!state.token) throw new ApiError(401, null, 'Please sign in.');
  const headers = { Authorization: `Bearer ${state.token}`, Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(`${state.cfg.api}/v1/companies/${encodeURIComponent(state.company)}${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, null, 'The server could not be reached. Check your connection and try again.');
  }
  if (res.status === 401) {
    expireSession('Your session has ended. Please sign in again.');
    throw new ApiError(401, null, 'Please sign in again.');
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// eid encodes a path segment.
const eid = encodeURIComponent;

// loadCompanyData fetches settings, employees and services for the signed-in company.
async function loadCompanyData() {
  const [s, e, v] = await Promise.allSettled([api('GET', '/settings'), api('GET', '/employees'), api('GET', '/services')]);
  if (s.status === 'rejected') throw s.reason;
  state.settings = s.value;
  state.tz = s.value.timezone || BROWSER_ZONE;
  state.employees = e.status === 'fulfilled' ? e.value.employees : [];
  state.services = v.status === 'fulfilled' ? v.value.services : [];
  $('company-name').textContent = s.value.name || state.company;
}

// refreshLists reloads employees and services after a change.
async function refreshLists() {
  const [e, v] = await Promise.all([api('GET', '/employees'), api('GET', '/services')]);
  state.employees = e.employees;
  state.services = v.services;
}

// visibleEmployees is the employee list a user may pick from (staff: only themselves).
function visibleEmployees() {
  if (role() !== 'staff') return state.employees;
  const me = state.employees.filter((e) => e.id === state.claims.sub);
  return me.length ? me : [{ id: state.claims.sub, name: state.claims.sub }];
}

// serviceName maps a service id to its name.
const serviceName = (id) => state.services.find((s) => s.id === id)?.name || id;
// employeeName maps an employee id to its name.
const employeeName = (id) => state.employees.find((e) => e.id === id)?.name || id;

/* ------------------------------------------------------------- forms */

let fieldSeq = 0;
// field renders a labelled control with a slot for its error message.
function field(label, control, hint) {
  control.id ||= `f${++fieldSeq}`;
  const err = h('p', { class: 'field-error', id: `${control.id}-err`, hidden: true });
  const hintEl = hint ? h('p', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  const isCheck = control.type === 'checkbox';
  return h('div', { class: isCheck ? 'field check' : 'field', 'data-errors': '' },
    isCheck ? [control, h('label', { for: control.id }, label)] : [h('label', { for: control.id }, label), control],
    hintEl, err);
}

// input builds an <input> with a name (its API field) and value.
const input = (name, value, attrs = {}) => h('input', { name, value: value ?? '', ...attrs });

// formError returns the form-level error box.
const formError = () => h('div', { class: 'form-error', role: 'alert', hidden: true });

// clearProblem removes every error shown in a form.
function clearProblem(form) {
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  form.querySelectorAll('.field-error').forEach((el) => { el.textContent = ''; el.hidden = true; });
  const box = form.querySelector('.form-error');
  if (box) { box.textContent = ''; box.hidden = true; }
}

// findControl finds the control for an API field name like weekly[0].start (or its nearest parent).
function findControl(form, name) {
  for (let n = name; n;) {
    const el = form.querySelector(`[name="${CSS.escape(n)}"], [data-name="${CSS.escape(n)}"]`);
    if (el) return el;
    const parent = n.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
    if (parent === n) break;
    n = parent;
  }
  return null;
}

// showProblem shows an API error in a form: detail on top, messages next to their fields.
function showProblem(form, err) {
  clearProblem(form);
  const box = form.querySelector('.form-error');
  const loose = [];
  let first = null;
  for (const fe of err.fields || []) {
    const ctl = findControl(form, fe.field);
    const slot = ctl?.closest('[data-errors]')?.querySelector('.field-error');
    if (!slot) { loose.push(`${fe.field}: ${fe.message}`); continue; }
    ctl.setAttribute('aria-invalid', 'true');
    const ids = new Set((ctl.getAttribute('aria-describedby') || '').split(' ').filter(Boolean));
    slot.id ||= `e${++fieldSeq}`;
    ids.add(slot.id);
    ctl.setAttribute('aria-describedby', [...ids].join(' '));
    slot.append(h('span', {}, fe.message));
    slot.hidden = false;
    first ||= ctl;
  }
  if (box) {
    box.append(h('strong', {}, err.message));
    if (loose.length) box.append(h('ul', {}, loose.map((m) => h('li', {}, m))));
    box.hidden = false;
  } else showError(err.message);
  (first || box)?.focus?.();
}

// onSubmit wires a form: prevents navigation, clears old errors, runs fn and shows its errors.
function onSubmit(form, fn) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(form);
    const btns = form.querySelectorAll('button[type=submit]');
    btns.forEach((b) => { b.disabled = true; });
    try { await fn(new FormData(form)); } catch (e) {
      if (e.status !== 401) { showProblem(form, e); }
    } finally { btns.forEach((b) => { b.disabled = false; }); }
  });
  return form;
}

// confirmButton is a button that asks "Yes, …" in place before running an action.
function confirmButton(label, yesLabel, action, attrs = {}) {
  const wrap = h('span', { class: 'confirm-wrap' });
  const ask = h('button', { type: 'button', class: 'danger', ...attrs }, label);
  const show = (asking) => {
    wrap.replaceChildren(...(asking ? [
      h('span', { class: 'confirm-q' }, 'Are you sure?'),
      h('button', {
        type: 'button', class: 'danger', onclick: async (ev) => {
          ev.currentTarget.disabled = true;
          try { await action(); } catch (e) { if (e.status !== 401) showError(e.message); show(false); }
        },
      }, yesLabel),
      h('button', { type: 'button', class: 'secondary', onclick: () => { show(false); ask.focus(); } }, 'No'),
    ] : [ask]));
    if (asking) wrap.querySelector('button').focus();
  };
  ask.addEventListener('click', () => show(true));
  show(false);
  return wrap;
}

// employeeSelect renders the labelled "Employee" select; onchange gets the new id.
function employeeSelect(list, value, onchange, withAll) {
  const sel = h('select', { id: 'employee', name: 'employee', onchange: (e) => onchange(e.target.value) },
    withAll ? h('option', { value: '' }, 'All employees') : null,
    list.map((e) => h('option', { value: e.id }, e.name)));
  sel.value = value;
  return h('div', { class: 'field inline' }, h('label', { for: 'employee' }, 'Employee'), sel);
}

// pageHead renders the page's h1 (focus target on navigation) and optional extras.
const pageHead = (title, ...extra) => h('div', { class: 'page-head' }, h('h1', { id: 'page-title', tabindex: '-1' }, title), ...extra);

/* -------------------------------------------------------------- routing */

// parseRoute reads #/page/id?query from the URL fragment.
function parseRoute() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] || 'week', id: parts[1] || null, params: new URLSearchParams(query) };
}

// go navigates to a page with query parameters (empty ones are dropped).
function go(page, params = {}, id = null) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v != null && v !== ''));
  const target = `#/${page}${id ? `/${encodeURIComponent(id)}` : ''}${q.toString() ? `?${q}` : ''}`;
  if (location.hash === target) render(); else location.hash = target;
}

const PAGES = {
  week: pageWeek, day: pageDay, employees: pageEmployees, absences: pageAbsences, closures: pageClosures,
  customers: pageCustomers, audit: pageAudit,
  services: pageServices, calendars: pageCalendars, settings: pageSettings,
};

// render draws the page of the current route into <main>.
async function render() {
  if (!state.token || !state.settings) return;
  const r = parseRoute();
  const fn = PAGES[r.page] || PAGES.week;
  const seq = ++routeSeq;
  const main = $('main');
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === (PAGES[r.page] ? r.page : 'week')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const focusId = document.activeElement?.id;
  const samePage = lastPage === r.page;
  if (!samePage) clearMessages();
  main.setAttribute('aria-busy', 'true');
  let view;
  try { view = await fn(r); } catch (e) {
    if (e.status === 401 || seq !== routeSeq) return;
    view = h('section', {}, pageHead('Something went wrong'), h('p', { class: 'problem' }, e.message));
    showError(e.message);
  }
  if (seq !== routeSeq) return;
  const oldScroll = samePage ? main.querySelector('.grid-scroll')?.scrollTop : undefined;
  main.replaceChildren(view);
  main.querySelectorAll('.grid-scroll').forEach((el) => { el.scrollTop = oldScroll ?? Number(el.dataset.scroll || 0); });
  main.removeAttribute('aria-busy');
  const again = focusId && document.getElementById(focusId);
  if (samePage && again && main.contains(again)) again.focus();
  else if (lastPage !== null && (!samePage || !main.contains(document.activeElement))) $('page-title')?.focus();
  lastPage = r.page;
  // What a page does once drawn (open a linked booking) is done by the render that draws:
  // of two overlapping renders of a route, only the last.
  r.afterDraw?.();
}

/* ------------------------------------------------------------ sign-in */

// showSignIn draws the sign-in page (local token form or Cognito button); kind = alert|status.
function showSignIn(message, kind = 'alert') {
  $('top').hidden = true;
  lastPage = null;
  routeSeq++;
  const msg = message ? h('p', { class: kind === 'alert' ? 'problem' : 'note', role: kind }, message) : null;
  const needCompany = state.token && !state.company;
  let body;
  if (cognito() && !needCompany) {
    body = h('div', { class: 'stack' }, h('p', {}, 'Sign in with your slotbook account.'),
      h('button', { type: 'button', id: 'sign-in', onclick: () => startCognitoLogin().catch((e) => showError(e.message)) }, 'Sign in'));
  } else {
    const form = h('form', { class: 'stack', novalidate: true },
      formError(),
      cognito() ? null : field('Token', h('textarea', { id: 'token', name: 'token', rows: 5, spellcheck: 'false', autocomplete: 'off', value: state.token || '' }),
        'Paste the JWT printed by the local server.'),
      field('Company', input('company', sessionStorage.getItem(KEY.company) || '', { id: 'company', autocomplete: 'off' }),
        'Only needed by the slotbook support team; admins and staff use the company of their token.'),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, cognito() ? 'Continue' : 'Sign in')));
    onSubmit(form, async (fd) => {
      const token = cognito() ? state.token : String(fd.get('token') || '').trim();
      const fields = [];
      const claims = decodeJwt(token);
      if (!cognito() && !claims) fields.push({ field: 'token', message: 'This is not a valid token.' });
      else if (isExpired(claims)) fields.push({ field: 'token', message: 'This token has expired.' });
      const company = String(fd.get('company') || '').trim() || claims?.['custom:company'] || '';
      if (claims && !company) fields.push({ field: 'company', message: 'Enter the id of the company to open.' });
      if (fields.length) throw new ApiError(400, { detail: 'Please check the form.', errors: fields });
      setToken(token);
      if (String(fd.get('company') || '').trim()) sessionStorage.setItem(KEY.company, company);
      await startSession();
    });
    body = form;
  }
  $('main').replaceChildren(h('section', { class: 'signin card' },
    h('h1', { id: 'page-title', tabindex: '-1' }, 'Sign in to slotbook'), msg, body));
}

// fragmentToken is the token of a #token=<jwt>[&company=] sign-in link, held until the
// configuration says whether such links count (local mode only).
let fragmentToken = null;

// takeFragmentToken removes a #token= link's token from the URL and holds it.
function takeFragmentToken() {
  if (!/^#token=/.test(location.hash)) return;
  const p = new URLSearchParams(location.hash.slice(1));
  history.replaceState(null, '', location.pathname + location.search);
  if (p.get('token')) fragmentToken = { token: p.get('token'), company: p.get('company') };
}

// useFragmentToken signs in with the held link token, and tells whether it did. Only in
// local mode (the local server prints such links; elsewhere a link could sign a user into
// somebody else's account), and never over a session that is still valid.
function useFragmentToken() {
  const f = fragmentToken;
  fragmentToken = null;
  if (!f || state.cfg.auth?.mode !== 'local') return false;
  const current = sessionStorage.getItem(KEY.token);
  if (current && !isExpired(decodeJwt(current) || { exp: 0 })) {
    showError('You are signed in already. Sign out first to use another sign-in link.');
    return false;
  }
  sessionStorage.setItem(KEY.token, f.token);
  if (f.company) sessionStorage.setItem(KEY.company, f.company);
  else sessionStorage.removeItem(KEY.company);
  return true;
}

// startSession checks the stored token, loads the company and draws the current page.
async function startSession() {
  const token = sessionStorage.getItem(KEY.token);
  if (!token) return showSignIn();
  const claims = decodeJwt(token);
  if (!claims) { clearSession(); return showSignIn('The token could not be read. Please sign in again.'); }
  state.token = token;
  state.claims = claims;
  if (isExpired(claims) && !(cognito() && sessionStorage.getItem(KEY.refresh))) {
    return expireSession('Your session has expired. Please sign in again.');
  }
  state.company = claims['custom:company'] || sessionStorage.getItem(KEY.company) || null;
  if (!state.company) return showSignIn('Enter the company you want to open.', 'status');
  try { await loadCompanyData(); } catch (e) {
    if (e.status === 401) return;
    const msg = e.message;
    clearSession();
    return showSignIn(`The company could not be opened: ${msg}`);
  }
  $('who').textContent = `${claims.sub || 'unknown'} · ${role() || 'no role'}`;
  // The API refuses what a role may not do; the menu does not offer it.
  $('nav').querySelector('[data-page=customers]').hidden = !isAdmin();
  $('nav').querySelector('[data-page=audit]').hidden = role() === 'staff';
  $('top').hidden = false;
  await render();
}

/* ------------------------------------------------------------ the grid */

// layoutLanes places overlapping blocks side by side (sets lane and lanes on each).
function layoutLanes(blocks) {
  blocks.sort((a, b) => a.from - b.from || b.to - a.to);
  let cluster = []; let ends = []; let clusterEnd = -1;
  const flush = () => { cluster.forEach((b) => { b.lanes = ends.length; }); cluster = []; ends = []; };
  for (const b of blocks) {
    if (b.from >= clusterEnd) flush();
    let lane = ends.findIndex((e) => e <= b.from);
    if (lane < 0) { lane = ends.length; ends.push(b.to); } else ends[lane] = b.to;
    b.lane = lane;
    cluster.push(b);
    clusterEnd = Math.max(clusterEnd, b.to);
  }
  flush();
}

// collect turns one employee's overview of the dates first…last into blocks, calling put(block)
// per day segment.
function collect(emp, first, last, put) {
  const add = (kind, item) => segments(item.start, item.end, first, last).forEach((s) => put({ kind, item, emp, ...s }));
  emp.availability.forEach((x) => add('availability', x));
  emp.absences.forEach((x) => add('absence', x));
  emp.external.forEach((x) => add('external', x));
  emp.bookings.forEach((x) => add('booking', x));
}

// hourRange returns [start, end] minutes of the grid: earliest to latest block, default 07–19.
function hourRange(columns) {
  let lo = Infinity; let hi = -Infinity;
  for (const c of columns) {
    for (const b of c.blocks) {
      if (b.kind === 'absence') continue;
      lo = Math.min(lo, b.from); hi = Math.max(hi, b.to);
    }
  }
  if (lo === Infinity) return [7 * 60, 19 * 60];
  lo = Math.max(0, Math.floor(lo / 60) * 60 - 60); hi = Math.min(1440, Math.ceil(hi / 60) * 60 + 60);
  if (hi - lo < 240) hi = Math.min(1440, lo + 240);
  return [lo, hi];
}

// blockView renders one block positioned in the column.
function blockView(b, r0, r1) {
  const from = Math.max(b.from, r0); const to = Math.min(b.to, r1);
  if (to <= from) return null;
  const px = Math.max(((to - from) / 60) * PX_PER_HOUR, 14);
  const style = { top: `${((from - r0) / 60) * PX_PER_HOUR}px`, height: `${px}px` };
  const size = px < 40 ? ' compact' : '';
  if (b.lanes) {
    style.left = `calc(${(b.lane / b.lanes) * 100}% + 2px)`;
    style.width = `calc(${100 / b.lanes}% - 4px)`;
  }
  const it = b.item;
  const time = fmtRange(it.start, it.end);
  switch (b.kind) {
    case 'availability':
      return h('div', { class: 'block availability', 'data-availability': '', style, title: `Available ${time}` });
    case 'absence':
      return h('div', { class: `block absence${size}`, 'data-absence': it.id, style },
        h('span', { class: 'label' }, it.reason || 'Absent'), h('span', { class: 'time' }, time));
    case 'external': {
      const label = it.title || 'Busy';
      return h('div', { class: `block external${size}`, 'data-external': it.calendar, style, title: `${label} ${time}` },
        h('span', { class: 'label' }, label), h('span', { class: 'time' }, time));
    }
    default: {
      const svc = serviceName(it.service);
      // The accessible name starts with the visible text (WCAG 2.5.3, label in name); a
      // compact block shows only the start and the name, so the rest follows them.
      const day = fmtDate(it.start.slice(0, 10), { weekday: 'long', day: 'numeric', month: 'long' });
      const shown = size ? fmtTime(it.start) : time;
      const btn = h('button', {
        type: 'button', class: `block booking${size}${it.status === 'pending' ? ' pending' : ''}`, 'data-booking': it.id, style,
        title: `${it.customer.name} · ${svc} · ${time}`,
        'aria-label': size ? `${shown} ${it.customer.name}, until ${fmtTime(it.end)}, ${svc}, ${day}` : `${shown} ${it.customer.name} ${svc}, ${day}`,
      },
      // Spaces between the parts, so that the text the block shows reads as words.
      h('span', { class: 'time' }, shown), ' ', h('strong', { class: 'label' }, it.customer.name), ' ', h('span', { class: 'svc' }, svc));
      btn.addEventListener('click', () => openBooking(it, b.emp, btn));
      return btn;
    }
  }
}

// renderGrid draws a time grid: columns [{label, sub, attrs, blocks}], hours as rows.
// With opts.onPick, a click on a column outside its bookings calls onPick(column, minute).
function renderGrid(testid, columns, opts = {}) {
  const [r0, r1] = hourRange(columns);
  const height = ((r1 - r0) / 60) * PX_PER_HOUR;
  const hours = [];
  for (let m = r0; m < r1; m += 60) hours.push(m);
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true', style: { height: `${height}px` } },
    hours.map((m) => h('span', { style: { top: `${((m - r0) / 60) * PX_PER_HOUR}px` } }, `${pad2(m / 60)}:00`)));
  const cols = columns.map((c) => {
    const fg = c.blocks.filter((b) => b.kind === 'booking' || b.kind === 'external');
    layoutLanes(fg);
    const order = { availability: 0, absence: 1, external: 2, booking: 3 };
    const blocks = [...c.blocks].sort((a, b) => order[a.kind] - order[b.kind] || a.from - b.from);
    return h('div', { class: `col${c.today ? ' today' : ''}${c.closed ? ' closed' : ''}`, role: 'group',
      'aria-label': c.closed ? `${c.ariaLabel}, closed: ${c.closed}` : c.ariaLabel, ...c.attrs },
      h('div', { class: 'col-head' }, h('span', { class: 'col-title' }, c.label), c.sub ? h('span', { class: 'col-sub' }, c.sub) : null,
        c.closed ? h('span', { class: 'col-closed', 'data-closed': c.closed }, `Closed: ${c.closed}`) : null),
      h('div', {
        class: `col-body${opts.onPick ? ' pickable' : ''}`, style: { height: `${height}px`, backgroundSize: `100% ${PX_PER_HOUR}px` },
        title: opts.onPick ? 'Click to see why a time is not offered' : null,
        onclick: opts.onPick && ((e) => {
          if (e.target.closest('button')) return;
          const y = e.clientY - e.currentTarget.getBoundingClientRect().top;
          opts.onPick(c, Math.min(1439, Math.max(0, Math.floor(r0 + (y / PX_PER_HOUR) * 60))));
        }),
      },
      blocks.map((b) => blockView(b, r0, r1)),
      c.blocks.length ? null : h('span', { class: 'empty' }, 'Nothing planned')));
  });
  const starts = columns.flatMap((c) => c.blocks.filter((b) => b.kind === 'availability' || b.kind === 'booking').map((b) => b.from));
  const first = starts.length ? Math.max(r0, Math.floor(Math.min(...starts) / 60) * 60 - 60) : r0;
  return h('div', { class: 'grid-scroll', 'data-scroll': ((first - r0) / 60) * PX_PER_HOUR },
    h('div', { class: 'grid', 'data-testid': testid, style: { '--cols': columns.length } },
      h('div', { class: 'gutter-wrap' }, h('div', { class: 'col-head' }), gutter), cols));
}

// legend explains the block colours.
const legend = () => h('ul', { class: 'legend', 'aria-label': 'Legend' },
  [['availability', 'Working hours'], ['booking', 'Booking'], ['external', 'External calendar'], ['absence', 'Absence']]
    .map(([k, t]) => h('li', {}, h('span', { class: `swatch ${k}`, 'aria-hidden': 'true' }), t)));

// calendarErrors renders the warning banner for calendars that could not be read
// (with the calendars' names when the connection list can be read).
async function calendarErrors(emps) {
  const items = emps.flatMap((e) => e.errors.map((x) => ({ ...x, emp: e })));
  if (!items.length) return null;
  const names = new Map();
  await Promise.all([...new Set(items.map((x) => x.emp.id))].map(async (id) => {
    try {
      const { calendars } = await api('GET', `/employees/${eid(id)}/calendars`);
      calendars.forEach((c) => names.set(c.id, c.name || `${PROVIDERS[c.provider] || c.provider}${c.account ? ` (${c.account})` : ''}`));
    } catch { /* the ids will do */ }
  }));
  const why = { calendar_needs_reauth: 'needs re-authorisation', calendar_unreachable: 'unreachable' };
  return h('div', { class: 'banner warning' },
    h('strong', {}, 'Some calendars could not be read.'),
    h('ul', {}, items.map((x) => h('li', {},
      `Calendar “${names.get(x.calendar) || x.calendar}” of ${x.emp.name} could not be read: ${why[x.reason] || x.reason}. `,
      x.reason === 'calendar_needs_reauth' ? h('a', { href: `#/calendars?employee=${eid(x.emp.id)}` }, 'Reconnect') : null))));
}

// MAIL_KIND and MAIL_STATE name a booking's mails for people.
const MAIL_KIND = { booked: 'Confirmation', rescheduled: 'New time', cancelled: 'Cancellation', reminder: 'Reminder' };
const MAIL_STATE = { pending: 'waiting', sent: 'sent', failed: 'failed', skipped: 'not sent' };

// loadMails fills box with the booking's mails: what went to whom and when.
async function loadMails(id, box) {
  try {
    const { notifications } = await api('GET', `/bookings/${eid(id)}`);
    if (!notifications?.length) { box.replaceChildren(h('h3', {}, 'Mails'), h('p', { class: 'muted' }, 'No mails.')); return; }
    box.replaceChildren(h('h3', {}, 'Mails'), h('ul', { class: 'mails', 'data-testid': 'mails' }, notifications.map((n) => {
      const when = n.state === 'sent' ? ` ${fmtDate(n.sentAt.slice(0, 10), { day: 'numeric', month: 'short' })} ${fmtTime(n.sentAt)}`
        : n.state === 'pending' ? ` (due ${fmtDate(n.due.slice(0, 10), { day: 'numeric', month: 'short' })} ${fmtTime(n.due)})` : '';
      const why = n.error ? ` – ${n.error.replaceAll('_', ' ')}` : '';
      return h('li', { 'data-mail': n.id, 'data-state': n.state },
        `${MAIL_KIND[n.kind] || n.kind} to the ${n.to}: `, h('strong', {}, MAIL_STATE[n.state] || n.state), `${when}${why}`);
    })));
  } catch (e) {
    if (e.status !== 401) box.replaceChildren(h('h3', {}, 'Mails'), h('p', { class: 'muted' }, 'The mails could not be read.'));
  }
}

// openBooking shows the booking details dialog with the in-page move form and cancel confirmation.
function openBooking(b, emp, opener) {
  const fallback = () => $('page-title');
  const mails = h('section', { class: 'mails-box', 'aria-live': 'polite' }, h('h3', {}, 'Mails'), h('p', { class: 'muted' }, 'Loading…'));
  const err = h('p', { class: 'problem', role: 'alert', hidden: true });
  const row = (k, v) => [h('dt', {}, k), h('dd', {}, v || '—')];
  const close = h('button', { type: 'button', class: 'secondary', onclick: () => dlg.close() }, 'Close');
  const yes = h('button', { type: 'button', class: 'danger', id: 'confirm-cancel' }, 'Yes, cancel');
  const no = h('button', { type: 'button', class: 'secondary' }, 'No, keep it');
  const confirmBox = h('div', { class: 'confirm-box', hidden: true },
    h('p', {}, 'Cancel this booking? The time becomes free again and the calendar event is removed.'),
    h('div', { class: 'actions' }, yes, no));
  const cancel = h('button', { type: 'button', class: 'danger' }, 'Cancel booking');
  const moveBtn = h('button', { type: 'button' }, 'Move booking');
  const main = h('div', { class: 'actions' }, moveBtn, cancel, close);
  const moveBox = moveForm(b, emp, () => { moveBox.hidden = true; main.hidden = false; moveBtn.focus(); }, () => dlg.close());
  moveBox.hidden = true;
  const dlg = h('dialog', { class: 'panel', role: 'dialog', 'aria-labelledby': 'booking-title', 'aria-modal': 'true', 'data-booking': b.id },
    h('div', { class: 'panel-head' },
      h('h2', { id: 'booking-title' }, `Booking: ${b.customer.name}`),
      h('button', { type: 'button', class: 'icon', 'aria-label': 'Close', onclick: () => dlg.close() }, '×')),
    h('dl', { class: 'details' },
      row('Customer', b.customer.name),
      row('E-mail', b.customer.email ? h('a', { href: `mailto:${encodeURIComponent(b.customer.email)}` }, b.customer.email) : ''),
      row('Phone', b.customer.phone ? h('a', { href: `tel:${b.customer.phone.replace(/[^0-9+]/g, '')}` }, b.customer.phone) : ''),
      row('Service', serviceName(b.service)),
      row('Employee', emp.name),
      row('Date', fmtDate(b.start.slice(0, 10), { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' })),
      row('Time', fmtRange(b.start, b.end)),
      row('Status', b.status === 'pending' ? 'Pending' : 'Confirmed')),
    mails, err, main, confirmBox, moveBox);
  loadMails(b.id, mails);
  moveBtn.addEventListener('click', () => { main.hidden = true; moveBox.hidden = false; moveBox.querySelector('input').focus(); });
  cancel.addEventListener('click', () => { main.hidden = true; confirmBox.hidden = false; yes.focus(); });
  no.addEventListener('click', () => { confirmBox.hidden = true; main.hidden = false; cancel.focus(); });
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    try {
      await api('DELETE', `/bookings/${eid(b.id)}`);
      announce('Booking cancelled');
      await render();
      dlg.close();
    } catch (e) {
      if (e.status === 401) { dlg.close(); return; }
      err.textContent = e.message; err.hidden = false; yes.disabled = false;
    }
  });
  dlg.addEventListener('close', () => {
    dlg.remove();
    (opener?.isConnected ? opener : fallback())?.focus();
  });
  document.body.append(dlg);
  dlg.showModal();
  close.focus();
}

// moveForm is the booking dialog's form to move a booking to another time or employee:
// the same rules as the customer's, without the customer's deadlines. It lists the free
// times of the chosen day and employee; any other time may be typed.
function moveForm(b, emp, onCancel, onDone) {
  const offering = state.services.find((s) => s.id === b.service)?.employees || [b.employee];
  const who = h('select', { name: 'employee', id: 'move-employee' },
    offering.map((id) => h('option', { value: id, selected: id === b.employee }, employeeName(id))));
  const when = h('input', { type: 'datetime-local', name: 'start', id: 'move-start', required: true, step: 60, value: rfcToLocal(b.start) });
  const free = h('div', { class: 'free-times', 'aria-live': 'polite', 'data-testid': 'free-times' });
  const err = h('p', { class: 'problem', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit' }, 'Move');
  const back = h('button', { type: 'button', class: 'secondary', onclick: onCancel }, 'Back');
  let seq = 0;
  // loadFree lists the free times of the chosen date and employee as buttons that fill in the time.
  const loadFree = async () => {
    const date = when.value.slice(0, 10), n = ++seq;
    if (!validDate(date)) { free.replaceChildren(); return; }
    free.replaceChildren(h('p', { class: 'muted' }, 'Loading free times…'));
    try {
      // booking: the booking's own time does not block its move.
      const q = new URLSearchParams({ service: b.service, employee: who.value, from: date, to: date, timezone: state.tz, booking: b.id });
      const data = await api('GET', `/slots?${q}`);
      if (n !== seq) return;
      free.replaceChildren(data.slots.length
        ? h('div', {}, h('p', { class: 'muted' }, 'Free that day:'), h('div', { class: 'btn-group wrap' }, data.slots.map((sl) =>
          h('button', { type: 'button', class: 'secondary', 'data-start': sl.start, onclick: () => { when.value = rfcToLocal(sl.start); save.focus(); } }, fmtTime(sl.start)))))
        : h('p', { class: 'muted' }, 'No free times that day.'));
    } catch {
      if (n === seq) free.replaceChildren(h('p', { class: 'muted' }, 'The free times could not be read.'));
    }
  };
  who.addEventListener('change', loadFree);
  when.addEventListener('change', loadFree);
  const form = h('form', { class: 'move-box', 'aria-label': 'Move booking', novalidate: true },
    h('h3', {}, 'Move booking'),
    field('Employee', who),
    field(`New start (${state.tz})`, when),
    free, err, h('div', { class: 'actions' }, save, back));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    if (!when.value) { err.textContent = 'Choose the new start.'; err.hidden = false; return; }
    save.disabled = true;
    try {
      const body = { start: localToRfc3339(when.value, state.tz) };
      if (who.value !== b.employee) body.employee = who.value;
      await api('POST', `/bookings/${eid(b.id)}/reschedule`, body);
      announce('Booking moved');
      await render();
      onDone();
    } catch (e2) {
      if (e2.status === 401) { onDone(); return; }
      err.textContent = e2.problem?.code === 'slot_taken' ? 'This time is not free; the booking keeps its time. Choose another.' : e2.message;
      err.hidden = false;
      save.disabled = false;
      if (e2.problem?.code === 'slot_taken') loadFree();
    }
  });
  loadFree();
  return form;
}

/* -------------------------------------------------------------- pages */

// pageWeek: one employee's week (Mon–Sun) as a time grid.
async function pageWeek(route) {
  const { params } = route;
  const emps = visibleEmployees();
  const emp = params.get('employee') || emps[0]?.id || '';
  const date = validDate(params.get('date')) || todayIn(state.tz);
  const mon = mondayOf(date); const sun = addDays(mon, 6);
  const nav = (d, e = emp) => go('week', { employee: e, date: d });
  const toolbar = h('div', { class: 'toolbar' },
    employeeSelect(emps, emp, (e) => nav(date, e)),
    h('div', { class: 'btn-group' },
      h('button', { type: 'button', id: 'prev', class: 'secondary', onclick: () => nav(addDays(mon, -7)) }, 'Previous week'),
      h('button', { type: 'button', id: 'today', class: 'secondary', onclick: () => nav(todayIn(state.tz)) }, 'Today'),
      h('button', { type: 'button', id: 'next', class: 'secondary', onclick: () => nav(addDays(mon, 7)) }, 'Next week')),
    h('p', { class: 'range-label', id: 'range-label' },
      new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' })
        .formatRange(new Date(`${mon}T00:00:00Z`), new Date(`${sun}T00:00:00Z`))));
  if (!emp) return h('section', {}, pageHead('Week'), toolbar, h('p', {}, 'There are no employees yet. ', h('a', { href: '#/employees' }, 'Add one')));
  const q = new URLSearchParams({ from: mon, to: sun, employee: emp, timezone: state.tz });
  const ov = await api('GET', `/overview?${q}`);
  const today = todayIn(state.tz);
  const columns = Array.from({ length: 7 }, (_, i) => {
    const d = addDays(mon, i);
    return {
      label: fmtDate(d, { weekday: 'short' }), sub: fmtDate(d, { day: 'numeric', month: 'short' }), today: d === today,
      ariaLabel: fmtDate(d, { weekday: 'long', day: 'numeric', month: 'long' }), attrs: { 'data-date': d }, blocks: [],
    };
  });
  for (const c of columns) c.closed = closedOn(ov.closures, c.attrs['data-date']);
  const byDate = new Map(columns.map((c) => [c.attrs['data-date'], c]));
  for (const e of ov.employees) collect(e, ov.from, ov.to, (b) => byDate.get(b.date)?.blocks.push(b));
  const who = ov.employees.find((e) => e.id === emp) || ov.employees[0];
  route.afterDraw = () => openLinkedBooking(params.get('booking'), who, { employee: emp, date });
  return h('section', {},
    pageHead(`Week of ${who?.name || employeeName(emp)}`, h('span', { class: 'muted zone' }, `Times in ${ov.timezone}`)),
    toolbar, await calendarErrors(ov.employees), renderGrid('week', columns), legend());
}

// openLinkedBooking opens the booking a link names (#/week?…&booking=id, the link in the
// booking's calendar event) once the page is drawn, and drops it from the address.
function openLinkedBooking(id, emp, params) {
  if (!id) return;
  history.replaceState(null, '', `#/week?${new URLSearchParams(params)}`);
  // A dialog of this booking already open (a link followed twice) stays the one.
  if (document.querySelector(`dialog[data-booking="${CSS.escape(id)}"]`)) return;
  const b = emp?.bookings.find((x) => x.id === id);
  if (b) openBooking(b, emp, null);
  else showError('This booking is not in this week any more: it was cancelled or moved.');
}

// pageDay: one date with one column per employee.
async function pageDay({ params }) {
  const emps = visibleEmployees();
  const emp = role() === 'staff' ? emps[0]?.id : (params.get('employee') || '');
  const date = validDate(params.get('date')) || todayIn(state.tz);
  const nav = (d, e = emp) => go('day', { employee: e, date: d });
  const toolbar = h('div', { class: 'toolbar' },
    employeeSelect(emps, emp, (e) => nav(date, e), role() !== 'staff'),
    h('div', { class: 'btn-group' },
      h('button', { type: 'button', id: 'prev', class: 'secondary', onclick: () => nav(addDays(date, -1)) }, 'Previous day'),
      h('button', { type: 'button', id: 'today', class: 'secondary', onclick: () => nav(todayIn(state.tz)) }, 'Today'),
      h('button', { type: 'button', id: 'next', class: 'secondary', onclick: () => nav(addDays(date, 1)) }, 'Next day')),
    h('p', { class: 'range-label', id: 'range-label' }, fmtDate(date, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' })));
  const q = new URLSearchParams({ from: date, to: date, timezone: state.tz });
  if (emp) q.set('employee', emp);
  const ov = await api('GET', `/overview?${q}`);
  const columns = ov.employees.map((e) => {
    const c = { label: e.name, ariaLabel: e.name, attrs: { 'data-employee': e.id }, blocks: [] };
    collect(e, ov.from, ov.to, (b) => { if (b.date === date) c.blocks.push(b); });
    return c;
  });
  const why = explainPanel(ov, date);
  const grid = columns.length ? renderGrid('day', columns, { onPick: (c, minute) => why.show(c.attrs['data-employee'], minute) })
    : h('div', { 'data-testid': 'day', class: 'empty-state' }, 'No employees to show.');
  grid.querySelector('[data-testid=day]')?.setAttribute('data-day', date);
  const closed = closedOn(ov.closures, date);
  return h('section', {}, pageHead('Day', h('span', { class: 'muted zone' }, `Times in ${ov.timezone}`)),
    toolbar, closed ? h('p', { class: 'closed-note', 'data-closed': closed }, `The company is closed on this date: ${closed}.`) : null,
    await calendarErrors(ov.employees), grid, legend(), columns.length ? why.view : null);
}

/* ------------------------------------------------------- the explainer */

// clockMinutes is the minute of the day of an RFC 3339 instant in the company zone.
const clockMinutes = (s) => { const t = fmtTime(s); return Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5)); };

// clockOf formats a minute of the day as HH:MM.
const clockOf = (m) => `${pad2(Math.floor(m / 60))}:${pad2(m % 60)}`;

// reasonView says one reason a start is not offered, naming its cause from what the page
// already holds (the day's absences and bookings, the employee's calendars), with a link
// to where the cause is fixed.
function reasonView(r, ctx) {
  const { emp, date, svc, calendars } = ctx;
  const s = state.settings || {};
  const link = (href, text) => h('a', { href, class: 'fix' }, text);
  const cal = () => { const c = calendars.get(r.calendar); return c ? `“${c}”` : 'an external calendar'; };
  switch (r.code) {
    case 'ABSENCE': {
      const a = emp.absences.find((x) => x.id === r.absence);
      const when = !a ? '' : fmtDateTime(a.start).slice(0, -6) === fmtDateTime(a.end).slice(0, -6) ? fmtRange(a.start, a.end)
        : `${fmtDateTime(a.start)} – ${fmtDateTime(a.end)}`;
      return [`Absent${a?.reason ? `: ${a.reason}` : ''}${a ? ` (${when})` : ''}. `,
        link(`#/absences?employee=${eid(emp.id)}`, 'Change the absence')];
    }
    case 'CLOSURE':
      return ['The company is closed on this date. ', link('#/closures', 'Change the closures')];
    case 'BOOKED': case 'BUFFER': {
      const b = emp.bookings.find((x) => x.id === r.booking);
      const who = b ? `${b.customer.name}, ${fmtRange(b.start, b.end)}` : 'another booking';
      const text = r.code === 'BOOKED' ? `Booked: ${who}. ` : `Too close to ${who}: the buffers before or after would overlap. `;
      return [text, link(`#/week?${new URLSearchParams({ employee: emp.id, date: b ? b.start.slice(0, 10) : date, booking: r.booking })}`, 'Open the booking')];
    }
    case 'EXTERNAL_BUSY':
      return [`Busy in the calendar ${cal()}. `, link(`#/calendars?employee=${eid(emp.id)}`, 'See the calendars')];
    case 'CALENDAR_UNREADABLE':
      return [`The calendar ${cal()} could not be read, so no time is offered that it might block. `,
        link(`#/calendars?employee=${eid(emp.id)}`, 'Reconnect the calendar')];
    case 'DOESNT_FIT':
      return [`${svc ? `${svc.name} takes ${svc.durationMinutes} minutes` : 'The service'} and would run past the end of the working hours. `,
        link(`#/employees/${eid(emp.id)}`, 'Change the working hours')];
    case 'MIN_NOTICE':
      return [`Too soon: bookings need ${s.minNoticeMinutes ?? 'the minimum'} minutes' notice. `, link('#/settings', 'Change the notice')];
    case 'BEYOND_HORIZON':
      return [`Too far ahead: bookings are taken ${s.horizonDays ?? 'some'} days ahead. `, link('#/settings', 'Change the horizon')];
    default:
      return [r.code];
  }
}

// runsOf groups consecutive starts that share whether they are free and why not.
function runsOf(times) {
  const key = (t) => (t.free ? 'free' : t.reasons.map((r) => `${r.code}/${r.calendar || r.absence || r.booking || ''}`).join(' '));
  const runs = [];
  for (const t of times) {
    const last = runs[runs.length - 1];
    if (last && last.key === key(t)) last.times.push(t);
    else runs.push({ key: key(t), times: [t] });
  }
  return runs;
}

// explainPanel is the day view's troubleshooting panel: for an employee, a service and the
// page's date it lists every start time, the ones not offered with every reason and a link to
// fix it. show(employee, minute) opens it on a clicked place of the grid.
function explainPanel(ov, date) {
  const emps = ov.employees;
  const offers = (e) => state.services.filter((s) => s.employees?.includes(e));
  const who = h('select', { id: 'explain-employee', name: 'employee' }, emps.map((e) => h('option', { value: e.id }, e.name)));
  const what = h('select', { id: 'explain-service', name: 'service' });
  const fillServices = () => {
    const keep = what.value;
    what.replaceChildren(...offers(who.value).map((s) => h('option', { value: s.id, selected: s.id === keep }, `${s.name} (${s.durationMinutes} min)`)));
  };
  fillServices();
  const out = h('div', { class: 'explain-out', 'aria-live': 'polite', 'data-testid': 'explain' });
  const title = h('h2', { id: 'explain-title', tabindex: '-1' }, 'Why is a time not offered?');
  const form = h('form', { class: 'toolbar', 'aria-labelledby': 'explain-title' },
    field('Employee to check', who), field('Service to check', what), h('button', { type: 'submit' }, 'Show why'));
  let seq = 0;
  const calendarNames = new Map();
  // load asks the explainer and draws its answer; at (minute of the day) picks the start clicked.
  const load = async (at) => {
    const n = ++seq;
    const emp = emps.find((e) => e.id === who.value);
    const svc = state.services.find((s) => s.id === what.value);
    if (!emp) return;
    if (!svc) {
      out.replaceChildren(h('p', {}, `${emp.name} offers no service, so no time is offered. `,
        isAdmin() ? h('a', { href: '#/services' }, 'Choose the services') : null));
      return;
    }
    out.replaceChildren(h('p', { class: 'muted' }, 'Checking…'));
    let x;
    try {
      const q = new URLSearchParams({ service: svc.id, employee: emp.id, date });
      [x] = await Promise.all([api('GET', `/availability/explain?${q}`), calendarNames.has(emp.id) ? null
        : api('GET', `/employees/${eid(emp.id)}/calendars`).then(({ calendars }) => calendarNames.set(emp.id,
          new Map(calendars.map((c) => [c.id, c.name || `${PROVIDERS[c.provider] || c.provider}${c.account ? ` (${c.account})` : ''}`]))))
          .catch(() => calendarNames.set(emp.id, new Map()))]);
    } catch (e) {
      if (n === seq && e.status !== 401) out.replaceChildren(h('p', { class: 'problem', role: 'alert' }, e.message));
      return;
    }
    if (n !== seq) return;
    const ctx = { emp, date, svc, calendars: calendarNames.get(emp.id) || new Map() };
    const reasons = (t) => h('ul', { class: 'reasons' }, t.reasons.map((r) => h('li', { 'data-reason': r.code }, reasonView(r, ctx))));
    const free = x.times.filter((t) => t.free).length;
    const parts = [h('p', { class: 'explain-sum' },
      `${emp.name}, ${svc.name}, ${fmtDate(date, { weekday: 'long', day: 'numeric', month: 'long' })}: `,
      h('strong', {}, x.times.length ? `${free} of ${x.times.length} start times offered.` : 'no working hours on this date.'),
      x.times.length ? null : [' ', h('a', { href: `#/employees/${eid(emp.id)}`, class: 'fix' }, 'Change the working hours')])];
    if (at != null) {
      // The start a click names: the last one at or before it, within the working hours clicked.
      const working = emp.availability.some((a) => segments(a.start, a.end, date, date).some((g) => g.from <= at && at < g.to));
      const hit = working ? [...x.times].reverse().find((t) => clockMinutes(t.start) <= at) : null;
      const inside = Boolean(hit);
      parts.unshift(h('div', { class: 'explain-pick', 'data-start': inside ? hit.start : '' },
        inside ? [h('p', {}, h('strong', {}, `${fmtTime(hit.start)} `), hit.free ? 'is offered.' : 'is not offered:'), hit.free ? null : reasons(hit)]
          : h('p', {}, `${emp.name} has no start time near ${clockOf(at)}: it is outside the working hours. `,
            h('a', { href: `#/employees/${eid(emp.id)}`, class: 'fix' }, 'Change the working hours'))));
    }
    if (x.times.length) {
      parts.push(h('table', { class: 'list explain-list' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Start times'), h('th', { scope: 'col' }, 'Offered?'))),
        h('tbody', {}, runsOf(x.times).map((run) => {
          const a = run.times[0]; const z = run.times[run.times.length - 1];
          const label = run.times.length === 1 ? fmtTime(a.start) : `${fmtTime(a.start)} – ${fmtTime(z.start)} (${run.times.length})`;
          return h('tr', { 'data-from': a.start, 'data-to': z.start, class: a.free ? 'free' : 'blocked' },
            h('th', { scope: 'row' }, label), h('td', {}, a.free ? 'Offered' : reasons(a)));
        }))));
    }
    out.replaceChildren(...parts);
  };
  who.addEventListener('change', () => { fillServices(); load(); });
  what.addEventListener('change', () => load());
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  const view = h('section', { class: 'card stack explain', 'aria-labelledby': 'explain-title' }, title,
    h('p', { class: 'hint' }, 'Click a place in the grid, or choose an employee and a service, to see every start time of the day and why it is not offered.'),
    form, out);
  return {
    view,
    show(empId, minute) {
      if (who.value !== empId) { who.value = empId; fillServices(); }
      view.scrollIntoView({ block: 'start' });
      title.focus({ preventScroll: true });
      load(minute);
    },
  };
}

// pageSettings: the company settings form (admins save; others read).
async function pageSettings() {
  const s = await api('GET', '/settings');
  const ro = !isAdmin();
  const dis = ro ? { disabled: true } : {};
  const zones = h('datalist', { id: 'tz-list' }, zoneNames().map((z) => h('option', { value: z })));
  const form = h('form', { class: 'card stack narrow', novalidate: true, 'aria-labelledby': 'page-title' },
    formError(),
    field('Name', input('name', s.name, { required: true, maxlength: 200, ...dis })),
    field('Time zone', input('timezone', s.timezone, { list: 'tz-list', required: true, autocomplete: 'off', ...dis }), 'IANA name, e.g. Europe/Zurich.'),
    zones,
    h('div', { class: 'row3' },
      field('Booking interval (minutes)', input('bookingIntervalMinutes', s.bookingIntervalMinutes, { type: 'number', min: 5, max: 240, ...dis })),
      field('Minimum notice (minutes)', input('minNoticeMinutes', s.minNoticeMinutes, { type: 'number', min: 0, ...dis })),
      field('Booking horizon (days)', input('horizonDays', s.horizonDays, { type: 'number', min: 1, max: 730, ...dis }))),
    field("Allow the slotbook support team to read this company's data",
      h('input', { type: 'checkbox', name: 'supportAccess', checked: s.supportAccess, ...dis })),
    h('fieldset', { class: 'stack' }, h('legend', {}, 'Mails'),
      h('div', { class: 'row3' },
        field('Language of mails', h('select', { name: 'language', ...dis },
          [['de', 'German'], ['en', 'English']].map(([v, t]) => h('option', { value: v, selected: s.language === v }, t))),
        'For bookings that name none; the widget sends its own.'),
        field('Reminder (minutes before)', input('reminderMinutesBefore', s.reminderMinutesBefore, { type: 'number', min: 0, max: 43200, ...dis }),
          '0 sends no reminder; 1440 is a day.')),
      field('Tell employees of their bookings by mail',
        h('input', { type: 'checkbox', name: 'notifyEmployees', checked: s.notifyEmployees, ...dis }))),
    h('fieldset', { class: 'stack' }, h('legend', {}, 'Customers changing their bookings'),
      h('div', { class: 'row3' },
        field('Online changes until (minutes before)', input('cancelNoticeMinutes', s.cancelNoticeMinutes, { type: 'number', min: 0, max: 43200, ...dis }),
          'Later, customers must call; staff can always change.'),
        field('Moves per booking', input('maxCustomerReschedules', s.maxCustomerReschedules, { type: 'number', min: 0, max: 100, ...dis })))),
    ro ? h('p', { class: 'note' }, 'Only administrators can change the settings.')
      : h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save settings')));
  onSubmit(form, async (fd) => {
    const saved = await api('PUT', '/settings', {
      name: fd.get('name'), timezone: fd.get('timezone'),
      bookingIntervalMinutes: Number(fd.get('bookingIntervalMinutes')), minNoticeMinutes: Number(fd.get('minNoticeMinutes')),
      horizonDays: Number(fd.get('horizonDays')), supportAccess: fd.get('supportAccess') === 'on',
      language: fd.get('language'), reminderMinutesBefore: Number(fd.get('reminderMinutesBefore')),
      notifyEmployees: fd.get('notifyEmployees') === 'on',
      cancelNoticeMinutes: Number(fd.get('cancelNoticeMinutes')), maxCustomerReschedules: Number(fd.get('maxCustomerReschedules')),
    });
    state.settings = saved; state.tz = saved.timezone;
    $('company-name').textContent = saved.name;
    announce('Settings saved');
  });
  return h('section', {}, pageHead('Settings'), form);
}

// pageEmployees: the list and the create form, or one employee's page when an id is given.
async function pageEmployees({ id }) {
  if (id) return employeePage(id);
  const { employees } = await api('GET', '/employees');
  state.employees = employees;
  const table = h('table', { class: 'list' },
    h('thead', {}, h('tr', {}, ['Name', 'Id', 'E-mail', 'Time zone'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, employees.map((e) => h('tr', {},
      h('td', {}, h('a', { href: `#/employees/${eid(e.id)}` }, e.name)), h('td', {}, h('code', {}, e.id)),
      h('td', {}, e.email || '—'), h('td', {}, e.timezone || `Company (${state.tz})`)))));
  let create = null;
  if (isAdmin()) {
    create = onSubmit(h('form', { class: 'card stack', novalidate: true, 'aria-labelledby': 'new-emp' },
      h('h2', { id: 'new-emp' }, 'Add employee'), formError(),
      h('div', { class: 'row2' },
        field('Name', input('name', '', { required: true, maxlength: 200 })),
        field('Id (optional)', input('id', '', { pattern: '[A-Za-z0-9][A-Za-z0-9_-]{0,63}', autocomplete: 'off' }), 'Letters, digits, - and _; generated when empty.')),
      h('div', { class: 'row2' },
        field('E-mail', input('email', '', { type: 'email', autocomplete: 'off' })),
        field('Time zone', input('timezone', '', { list: 'tz-list', autocomplete: 'off' }), 'Empty: the company zone.')),
      h('datalist', { id: 'tz-list' }, zoneNames().map((z) => h('option', { value: z }))),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add employee'))), async (fd) => {
      const body = { name: fd.get('name'), email: fd.get('email'), timezone: fd.get('timezone') };
      if (fd.get('id')) body.id = fd.get('id');
      const e = await api('POST', '/employees', body);
      await refreshLists();
      announce(`Employee ${e.name} added`);
      go('employees', {}, e.id);
    });
  }
  return h('section', {}, pageHead('Employees'),
    employees.length ? table : h('p', {}, 'No employees yet.'), create);
}

// employeePage: edit one employee, their working hours, or delete them.
async function employeePage(id) {
  const [e, av] = await Promise.all([api('GET', `/employees/${eid(id)}`), api('GET', `/employees/${eid(id)}/availability`)]);
  const can = canEditEmployee(id);
  const dis = can ? {} : { disabled: true };
  const head = pageHead(e.name);
  const form = onSubmit(h('form', { class: 'card stack', novalidate: true, 'aria-labelledby': 'emp-details' },
    h('h2', { id: 'emp-details' }, 'Details'), formError(),
    h('p', { class: 'muted' }, 'Id: ', h('code', {}, e.id)),
    h('div', { class: 'row3' },
      field('Name', input('name', e.name, { required: true, maxlength: 200, ...dis })),
      field('E-mail', input('email', e.email, { type: 'email', ...dis })),
      field('Time zone', input('timezone', e.timezone, { list: 'tz-list', autocomplete: 'off', ...dis }), 'Empty: the company zone.')),
    h('datalist', { id: 'tz-list' }, zoneNames().map((z) => h('option', { value: z }))),
    can ? h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save employee'),
      isAdmin() ? confirmButton('Delete employee', 'Yes, delete', async () => {
        await api('DELETE', `/employees/${eid(id)}`);
        await refreshLists();
        announce(`Employee ${e.name} deleted`);
        go('employees');
      }) : null) : null), async (fd) => {
    const saved = await api('PUT', `/employees/${eid(id)}`, { name: fd.get('name'), email: fd.get('email'), timezone: fd.get('timezone') });
    await refreshLists();
    head.querySelector('h1').textContent = saved.name;
    announce('Employee saved');
  });
  return h('section', {},
    h('p', { class: 'crumbs' }, h('a', { href: '#/employees' }, '← All employees')),
    head, form, hoursEditor(id, av, can));
}

// timeInput renders a labelled HH:MM time input (an end of 24:00 shows as 00:00).
const timeInput = (label, name, value) => h('label', { class: 'mini' },
  h('span', {}, label), h('input', { type: 'time', name, value: value === '24:00' ? '00:00' : value, required: true }));

// hoursEditor edits weekly hours and date overrides (PUT …/availability).
function hoursEditor(empId, av, can) {
  const weekly = h('div', { class: 'rows' });
  const overrides = h('div', { class: 'rows' });
  // renumber gives every control its API field name, e.g. weekly[2].start.
  const renumber = () => {
    [...weekly.children].forEach((row, i) => {
      row.dataset.name = `weekly[${i}]`;
      row.querySelector('select').name = `weekly[${i}].weekday`;
      const [s, e] = row.querySelectorAll('input');
      s.name = `weekly[${i}].start`; e.name = `weekly[${i}].end`;
      row.querySelector('button')?.setAttribute('aria-label', `Remove weekly hours, row ${i + 1}`);
    });
    [...overrides.children].forEach((ov, i) => {
      ov.dataset.name = `overrides[${i}]`;
      ov.querySelector('input[type=date]').name = `overrides[${i}].date`;
      ov.querySelectorAll('.interval').forEach((row, j) => {
        row.dataset.name = `overrides[${i}].intervals[${j}]`;
        const [s, e] = row.querySelectorAll('input');
        s.name = `overrides[${i}].intervals[${j}].start`; e.name = `overrides[${i}].intervals[${j}].end`;
        row.querySelector('button')?.setAttribute('aria-label', `Remove interval ${j + 1} of date override ${i + 1}`);
      });
      ov.querySelector('.remove-date')?.setAttribute('aria-label', `Remove date override ${i + 1}`);
      ov.querySelector('.dayoff').hidden = ov.querySelectorAll('.interval').length > 0;
    });
  };
  // removeButton removes its row and renumbers.
  const removeButton = (label, getRow) => h('button', {
    type: 'button', class: 'secondary small', 'aria-label': label,
    onclick: (ev) => { getRow(ev.currentTarget).remove(); renumber(); },
  }, 'Remove');
  // weeklyRow renders one weekday + start + end row.
  const weeklyRow = (w = { weekday: 'monday', start: '09:00', end: '17:00' }) => {
    const sel = h('select', {}, WEEKDAYS.map((d) => h('option', { value: d }, d[0].toUpperCase() + d.slice(1))));
    sel.value = w.weekday;
    return h('div', { class: 'hrow', 'data-errors': '' },
      h('label', { class: 'mini' }, h('span', {}, 'Weekday'), sel),
      timeInput('Start', '', w.start), timeInput('End', '', w.end),
      can ? removeButton('Remove weekly hours', (b) => b.closest('.hrow')) : null,
      h('p', { class: 'field-error', hidden: true }));
  };
  // intervalRow renders one start + end row of an override.
  const intervalRow = (iv = { start: '09:00', end: '17:00' }) => h('div', { class: 'hrow interval', 'data-errors': '' },
    timeInput('Start', '', iv.start), timeInput('End', '', iv.end),
    can ? removeButton('Remove interval', (b) => b.closest('.interval')) : null,
    h('p', { class: 'field-error', hidden: true }));
  // overrideBox renders one date override with its intervals.
  const overrideBox = (o = { date: todayIn(state.tz), intervals: [] }) => {
    const list = h('div', { class: 'intervals' }, o.intervals.map((iv) => intervalRow(iv)));
    const box = h('fieldset', { class: 'override' },
      h('legend', {}, 'Date override'),
      h('div', { class: 'hrow', 'data-errors': '' },
        h('label', { class: 'mini' }, h('span', {}, 'Date'), h('input', { type: 'date', value: o.date, required: true })),
        can ? h('button', { type: 'button', class: 'secondary small remove-date', onclick: () => { box.remove(); renumber(); } }, 'Remove date') : null,
        h('p', { class: 'field-error', hidden: true })),
      list,
      h('p', { class: 'dayoff muted' }, 'No intervals: day off.'),
      can ? h('button', { type: 'button', class: 'secondary small', onclick: () => { list.append(intervalRow()); renumber(); list.lastChild.querySelector('input').focus(); } }, 'Add interval') : null);
    return box;
  };
  const order = (w) => WEEKDAYS.indexOf(w.weekday) * 1440 + minutesOf(`0000-00-00T${w.start}`);
  weekly.append(...[...av.weekly].sort((a, b) => order(a) - order(b)).map(weeklyRow));
  overrides.append(...[...av.overrides].sort((a, b) => a.date.localeCompare(b.date)).map(overrideBox));
  renumber();
  // endValue maps an end of 00:00 to 24:00 (midnight at the end of the day).
  const endValue = (v) => (v === '00:00' ? '24:00' : v);
  const form = onSubmit(h('form', { class: 'card stack hours', novalidate: true, 'aria-labelledby': 'hours-title' },
    h('h2', { id: 'hours-title' }, 'Working hours'), formError(),
    h('h3', {}, 'Weekly hours'), weekly,
    can ? h('button', { type: 'button', class: 'secondary', onclick: () => { weekly.append(weeklyRow()); renumber(); weekly.lastChild.querySelector('select').focus(); } }, 'Add weekly hours') : null,
    h('h3', {}, 'Date overrides'),
    h('p', { class: 'hint' }, 'An override replaces the weekly hours on its date; without intervals the day is off.'),
    overrides,
    can ? h('button', { type: 'button', class: 'secondary', onclick: () => { overrides.append(overrideBox()); renumber(); overrides.lastChild.querySelector('input').focus(); } }, 'Add date override') : null,
    can ? h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save hours')) : null), async () => {
    const body = {
      weekly: [...weekly.children].map((row) => {
        const [s, e] = row.querySelectorAll('input');
        return { weekday: row.querySelector('select').value, start: s.value, end: endValue(e.value) };
      }),
      overrides: [...overrides.children].map((ov) => ({
        date: ov.querySelector('input[type=date]').value,
        intervals: [...ov.querySelectorAll('.interval')].map((row) => {
          const [s, e] = row.querySelectorAll('input');
          return { start: s.value, end: endValue(e.value) };
        }),
      })),
    };
    await api('PUT', `/employees/${eid(empId)}/availability`, body);
    announce('Working hours saved');
  });
  if (!can) form.querySelectorAll('input, select').forEach((el) => { el.disabled = true; });
  return form;
}

// closedOn returns the name of the closure that covers date (YYYY-MM-DD), or ''.
function closedOn(closures, date) {
  return (closures || []).find((c) => c.start <= date && date <= c.end)?.name || '';
}

// fmtClosure writes a closure's dates: one date, or the first and the last.
function fmtClosure(c) {
  const f = (d) => fmtDate(d, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
  return c.start === c.end ? f(c.start) : `${f(c.start)} – ${f(c.end)}`;
}

// REGIONS are the regions whose public holidays can be imported (ISO 3166-2).
const REGIONS = [
  ['CH', 'Switzerland (national)'], ['CH-AG', 'Aargau'], ['CH-AI', 'Appenzell Innerrhoden'], ['CH-AR', 'Appenzell Ausserrhoden'],
  ['CH-BE', 'Bern'], ['CH-BL', 'Basel-Landschaft'], ['CH-BS', 'Basel-Stadt'], ['CH-FR', 'Fribourg'], ['CH-GE', 'Geneva'],
  ['CH-GL', 'Glarus'], ['CH-GR', 'Graubünden'], ['CH-JU', 'Jura'], ['CH-LU', 'Lucerne'], ['CH-NE', 'Neuchâtel'],
  ['CH-NW', 'Nidwalden'], ['CH-OW', 'Obwalden'], ['CH-SG', 'St. Gallen'], ['CH-SH', 'Schaffhausen'], ['CH-SO', 'Solothurn'],
  ['CH-SZ', 'Schwyz'], ['CH-TG', 'Thurgau'], ['CH-TI', 'Ticino'], ['CH-UR', 'Uri'], ['CH-VD', 'Vaud'], ['CH-VS', 'Valais'],
  ['CH-ZG', 'Zug'], ['CH-ZH', 'Zurich'],
  ['DE', 'Germany (national)'], ['DE-BW', 'Baden-Württemberg'], ['DE-BY', 'Bavaria'], ['DE-BE', 'Berlin'], ['DE-BB', 'Brandenburg'],
  ['DE-HB', 'Bremen'], ['DE-HH', 'Hamburg'], ['DE-HE', 'Hesse'], ['DE-MV', 'Mecklenburg-Vorpommern'], ['DE-NI', 'Lower Saxony'],
  ['DE-NW', 'North Rhine-Westphalia'], ['DE-RP', 'Rhineland-Palatinate'], ['DE-SL', 'Saarland'], ['DE-SN', 'Saxony'],
  ['DE-ST', 'Saxony-Anhalt'], ['DE-SH', 'Schleswig-Holstein'], ['DE-TH', 'Thuringia'],
  ['AT', 'Austria (national)'], ['AT-1', 'Burgenland'], ['AT-2', 'Carinthia'], ['AT-3', 'Lower Austria'], ['AT-4', 'Upper Austria'],
  ['AT-5', 'Salzburg'], ['AT-6', 'Styria'], ['AT-7', 'Tyrol'], ['AT-8', 'Vorarlberg'], ['AT-9', 'Vienna'],
];

// pageClosures: the company's closed dates; admins add a range, import a region's
// public holidays of a year, and delete.
async function pageClosures() {
  const today = todayIn(state.tz);
  const { closures } = await api('GET', `/closures?from=${addDays(today, -31)}`);
  const admin = isAdmin();
  const table = closures.length ? h('table', { class: 'list', 'data-testid': 'closures' },
    h('thead', {}, h('tr', {}, ['Dates', 'Name', admin ? 'Actions' : null].filter(Boolean).map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, closures.map((c) => h('tr', { 'data-closure': c.id, 'data-start': c.start },
      h('td', {}, fmtClosure(c)), h('td', {}, c.name),
      admin ? h('td', {}, confirmButton('Delete', 'Yes, delete', async () => {
        await api('DELETE', `/closures/${eid(c.id)}`);
        announce('Closure deleted');
        await render();
      }, { 'aria-label': `Delete closure ${c.name} ${c.start}` })) : null))))
    : h('p', { class: 'muted' }, 'No closures from last month on.');
  if (!admin) return h('section', {}, pageHead('Closures'), table);
  const add = onSubmit(h('form', { class: 'card stack', novalidate: true, 'aria-labelledby': 'new-closure' },
    h('h2', { id: 'new-closure' }, 'Close on some dates'), formError(),
    h('p', { class: 'hint' }, `Whole dates in the company zone (${state.tz}), both included. Nobody can book on them.`),
    h('div', { class: 'row3' },
      field('First date', input('start', today, { type: 'date', required: true })),
      field('Last date', input('end', today, { type: 'date', required: true })),
      field('Name', input('name', '', { maxlength: 200, required: true }))),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add closure'))), async (fd) => {
    await api('POST', '/closures', { start: fd.get('start'), end: fd.get('end'), name: fd.get('name') });
    announce('Closure added');
    await render();
  });
  const year = Number(today.slice(0, 4));
  const imp = onSubmit(h('form', { class: 'card stack', novalidate: true, 'aria-labelledby': 'import-holidays' },
    h('h2', { id: 'import-holidays' }, 'Import public holidays'), formError(),
    h('p', { class: 'hint' }, 'Adds the public holidays of a canton, state or country as closures. Importing again adds only what is missing.'),
    h('div', { class: 'row3' },
      field('Region', h('select', { name: 'region', id: 'import-region' },
        REGIONS.map(([code, name]) => h('option', { value: code, selected: code === state.lastImport?.region }, `${name} (${code})`)))),
      field('Year', input('year', String(state.lastImport?.year || year), { type: 'number', min: 2000, max: 2100, required: true }))),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Import'))), async (fd) => {
    // The next import starts from this one's region and year.
    state.lastImport = { region: fd.get('region'), year: Number(fd.get('year')) };
    const res = await api('POST', '/closures/import', state.lastImport);
    await render();
    announce(`${res.added.length} holidays added${res.kept ? `, ${res.kept} were there already` : ''}`);
  });
  return h('section', {}, pageHead('Closures'), table, add, imp);
}

// pageCustomers: an admin finds a customer's bookings by e-mail, downloads them as JSON
// (their data, on request) and erases the customer's data after a confirmation.
async function pageCustomers({ params }) {
  const email = params.get('email') || '';
  const search = h('form', { class: 'card stack', role: 'search', 'aria-labelledby': 'find-customer' },
    h('h2', { id: 'find-customer' }, 'Find a customer'),
    h('div', { class: 'row3' }, field('E-mail', input('email', email, { type: 'email', required: true, maxlength: 254 }))),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Find')));
  search.addEventListener('submit', (e) => { e.preventDefault(); go('customers', { email: new FormData(search).get('email').trim() }); });
  if (!email) return h('section', {}, pageHead('Customers'), search);
  const data = await api('GET', `/customers/export?email=${encodeURIComponent(email)}`);
  const rows = data.bookings;
  const table = rows.length ? h('table', { class: 'list', 'data-testid': 'customer-bookings' },
    h('thead', {}, h('tr', {}, ['When', 'Service', 'Employee', 'Status', 'Name', 'Phone'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((b) => h('tr', { 'data-booking': b.id },
      h('td', {}, `${fmtDate(b.start.slice(0, 10), { day: 'numeric', month: 'short', year: 'numeric' })} ${fmtRange(b.start, b.end)}`),
      h('td', {}, serviceName(b.service)), h('td', {}, employeeName(b.employee)), h('td', {}, b.status),
      h('td', {}, b.customer.name), h('td', {}, b.customer.phone || '—')))))
    : h('p', { class: 'muted', 'data-testid': 'no-customer' }, 'No bookings with this e-mail address.');
  const file = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
  const actions = rows.length ? h('div', { class: 'actions' },
    h('a', { href: file, download: `customer-${email}.json`, class: 'button secondary' }, 'Download their data (JSON)'),
    confirmButton('Erase this customer', 'Yes, erase', async () => {
      const res = await api('POST', '/customers/erase', { email });
      await render();
      announce(`Erased: ${res.bookingsAnonymized} past bookings anonymized, ${res.futureBookingsCancelled} future bookings cancelled`);
    }, { 'aria-label': `Erase the data of ${email}` }),
    h('p', { class: 'hint' }, 'Erasing cancels their future bookings and removes name, e-mail, phone and notes from all of them. It cannot be undone.'))
    : null;
  return h('section', {}, pageHead('Customers'), search, h('h2', {}, `Bookings of ${email}`), table, actions);
}

// pageAudit: who changed what, for admins (and support while allowed).
async function pageAudit({ params }) {
  const today = todayIn(state.tz);
  const to = validDate(params.get('to')) || today;
  const from = validDate(params.get('from')) || addDays(to, -6);
  const range = h('form', { class: 'toolbar', 'aria-label': 'Dates' },
    field('From', input('from', from, { type: 'date' })), field('To', input('to', to, { type: 'date' })),
    h('button', { type: 'submit' }, 'Show'));
  range.addEventListener('submit', (e) => { e.preventDefault(); const fd = new FormData(range); go('audit', { from: fd.get('from'), to: fd.get('to') }); });
  const { entries } = await api('GET', `/audit?from=${from}&to=${to}`);
  const table = entries.length ? h('table', { class: 'list', 'data-testid': 'audit' },
    h('thead', {}, h('tr', {}, ['When', 'Who', 'Role', 'What', 'Which'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, [...entries].reverse().map((e) => h('tr', { 'data-action': e.action },
      h('td', {}, fmtDateTime(e.at)), h('td', {}, e.actor), h('td', {}, e.role), h('td', {}, h('code', {}, e.action)), h('td', {}, e.target || '—')))))
    : h('p', { class: 'muted' }, 'Nothing was changed in these days.');
  return h('section', {}, pageHead('Audit log'), range, table);
}

// pageAbsences: one employee's absences, add and delete.
async function pageAbsences({ params }) {
  const emps = visibleEmployees();
  const emp = params.get('employee') || emps[0]?.id || '';
  const head = [pageHead('Absences'), h('div', { class: 'toolbar' }, employeeSelect(emps, emp, (e) => go('absences', { employee: e })))];
  if (!emp) return h('section', {}, head, h('p', {}, 'There are no employees yet.'));
  const { absences } = await api('GET', `/employees/${eid(emp)}/absences`);
  const can = canEditEmployee(emp);
  const table = absences.length ? h('table', { class: 'list' },
    h('thead', {}, h('tr', {}, ['From', 'To', 'Reason', can ? 'Actions' : null].filter(Boolean).map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, absences.map((a) => h('tr', { 'data-absence': a.id },
      h('td', {}, fmtDateTime(a.start)), h('td', {}, fmtDateTime(a.end)), h('td', {}, a.reason || '—'),
      can ? h('td', {}, confirmButton('Delete', 'Yes, delete', async () => {
        await api('DELETE', `/employees/${eid(emp)}/absences/${eid(a.id)}`);
        announce('Absence deleted');
        await render();
      }, { 'aria-label': `Delete absence ${fmtDateTime(a.start)}` })) : null))))
    : h('p', { class: 'muted' }, 'No absences recorded.');
  let form = null;
  if (can) {
    const today = todayIn(state.tz);
    form = onSubmit(h('form', { class: 'card stack', novalidate: true, 'aria-labelledby': 'new-abs' },
      h('h2', { id: 'new-abs' }, 'Add absence'), formError(),
      h('p', { class: 'hint' }, `Times are in the company zone (${state.tz}).`),
      h('div', { class: 'row3' },
        field('Start', input('start', `${today}T08:00`, { type: 'datetime-local', required: true })),
        field('End', input('end', `${today}T17:00`, { type: 'datetime-local', required: true })),
        field('Reason', input('reason', '', { maxlength: 200 }))),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add absence'))), async (fd) => {
      const fields = [];
      if (!fd.get('start')) fields.push({ field: 'start', message: 'Enter the start.' });
      if (!fd.get('end')) fields.push({ field: 'end', message: 'Enter the end.' });
      if (fields.length) throw new ApiError(400, { detail: 'Please check the form.', errors: fields });
      await api('POST', `/employees/${eid(emp)}/absences`, {
        start: localToRfc3339(fd.get('start'), state.tz), end: localToRfc3339(fd.get('end'), state.tz), reason: fd.get('reason'),
      });
      announce('Absence added');
      await render();
    });
  }
  return h('section', {}, head, h('h2', {}, `Absences of ${employeeName(emp)}`), table, form);
}

// serviceForm renders the create/edit form of a service.
function serviceForm(s, onSaved) {
  const ro = !isAdmin();
  const dis = ro ? { disabled: true } : {};
  const isNew = !s;
  s ||= { name: '', durationMinutes: 30, bufferBeforeMinutes: 0, bufferAfterMinutes: 0, employees: [] };
  const titleId = isNew ? 'new-svc' : 'edit-svc';
  return onSubmit(h('form', { class: 'card stack', novalidate: true, 'aria-labelledby': titleId },
    h('h2', { id: titleId }, isNew ? 'Add service' : 'Details'), formError(),
    h('div', { class: 'row2' },
      field('Name', input('name', s.name, { required: true, maxlength: 200, ...dis })),
      isNew ? field('Id (optional)', input('id', '', { autocomplete: 'off' }), 'Generated when empty.') : null),
    h('div', { class: 'row3' },
      field('Duration (minutes)', input('durationMinutes', s.durationMinutes, { type: 'number', min: 5, max: 1440, ...dis })),
      field('Buffer before (minutes)', input('bufferBeforeMinutes', s.bufferBeforeMinutes, { type: 'number', min: 0, max: 1440, ...dis })),
      field('Buffer after (minutes)', input('bufferAfterMinutes', s.bufferAfterMinutes, { type: 'number', min: 0, max: 1440, ...dis }))),
    h('fieldset', { class: 'checks', 'data-errors': '', 'data-name': 'employees' },
      h('legend', {}, 'Employees'),
      state.employees.map((e) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'employees', value: e.id, checked: s.employees.includes(e.id), ...dis }), e.name)),
      h('p', { class: 'field-error', hidden: true })),
    ro ? null : h('div', { class: 'actions' }, h('button', { type: 'submit' }, isNew ? 'Add service' : 'Save service'))), async (fd) => {
    const body = {
      name: fd.get('name'), durationMinutes: Number(fd.get('durationMinutes')),
      bufferBeforeMinutes: Number(fd.get('bufferBeforeMinutes')), bufferAfterMinutes: Number(fd.get('bufferAfterMinutes')),
      employees: fd.getAll('employees'),
    };
    if (isNew && fd.get('id')) body.id = fd.get('id');
    const saved = isNew ? await api('POST', '/services', body) : await api('PUT', `/services/${eid(s.id)}`, body);
    await refreshLists();
    onSaved(saved);
  });
}

// pageServices: the services list with the create form, or one service's edit page.
async function pageServices({ id }) {
  if (id) {
    const s = await api('GET', `/services/${eid(id)}`);
    const head = pageHead(s.name);
    return h('section', {}, h('p', { class: 'crumbs' }, h('a', { href: '#/services' }, '← All services')),
      head,
      serviceForm(s, (saved) => { announce('Service saved'); head.querySelector('h1').textContent = saved.name; }),
      isAdmin() ? h('div', { class: 'actions' }, confirmButton('Delete service', 'Yes, delete', async () => {
        await api('DELETE', `/services/${eid(id)}`);
        await refreshLists();
        announce(`Service ${s.name} deleted`);
        go('services');
      })) : null);
  }
  const { services } = await api('GET', '/services');
  state.services = services;
  const table = h('table', { class: 'list' },
    h('thead', {}, h('tr', {}, ['Name', 'Duration', 'Buffers', 'Employees'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, services.map((s) => h('tr', {},
      h('td', {}, h('a', { href: `#/services/${eid(s.id)}` }, s.name)), h('td', {}, `${s.durationMinutes} min`),
      h('td', {}, `${s.bufferBeforeMinutes} min before, ${s.bufferAfterMinutes} min after`),
      h('td', {}, s.employees.map(employeeName).join(', ') || '—')))));
  return h('section', {}, pageHead('Services'),
    services.length ? table : h('p', {}, 'No services yet.'),
    isAdmin() ? serviceForm(null, (saved) => { announce(`Service ${saved.name} added`); render(); })
      : h('p', { class: 'note' }, 'Only administrators can change services.'));
}

const PROVIDERS = { google: 'Google Calendar', microsoft: 'Microsoft 365', caldav: 'CalDAV', ics: 'ICS feed' };

// connectOAuth asks for a Google/Microsoft authorization URL and opens it.
async function connectOAuth(emp, provider) {
  try {
    const r = await api('POST', `/employees/${eid(emp)}/calendars`, { provider });
    const u = new URL(r.authorizationUrl);
    if (u.protocol !== 'https:') throw new Error('the API sent a consent page that is not https');
    location.assign(u.href);
  } catch (e) { if (e.status !== 401) showError(`${PROVIDERS[provider]} could not be connected: ${e.message}`); }
}

// CONNECT_ERRORS explains the problem codes the API sends back with a
// browser returning from Google's or Microsoft's consent page.
const CONNECT_ERRORS = {
  forbidden: 'The calendar was not connected: access was not granted. Connect it again.',
  not_found: 'The calendar was not connected: the employee no longer exists.',
  unprocessable: 'The calendar was not connected: the account has no usable calendar, or this provider is not set up here.',
  unavailable: 'The calendar was not connected: the provider could not be reached. Try again in a moment.',
  invalid_input: 'The calendar was not connected: the link was not valid or has expired. Connect it again.',
};

// OAUTH_KEY holds a consent page's code until the user who started the flow is signed in.
const OAUTH_KEY = 'slotbook.oauth';

// takeOAuthReturn moves the code and state a consent page sent back (#/calendars?…&oauthCode=…
// &oauthState=…) out of the address bar into sessionStorage, before anything else runs.
function takeOAuthReturn() {
  const m = location.hash.match(/^#\/calendars\?(.*)$/);
  if (!m) return;
  const q = new URLSearchParams(m[1]);
  if (!q.get('oauthCode') || !q.get('oauthState')) return;
  sessionStorage.setItem(OAUTH_KEY, JSON.stringify({ employee: q.get('employee') || '', code: q.get('oauthCode'), state: q.get('oauthState') }));
  q.delete('oauthCode'); q.delete('oauthState');
  history.replaceState(null, '', `${location.pathname}${location.search}#/calendars?${q}`);
}

// completeOAuth hands a held code to the API with the signed-in user's credentials: only the
// user who started the flow may complete it. It tells whether there was one.
async function completeOAuth() {
  const held = sessionStorage.getItem(OAUTH_KEY);
  if (!held) return false;
  sessionStorage.removeItem(OAUTH_KEY);
  let o;
  try { o = JSON.parse(held); } catch { return false; }
  try {
    const k = await api('POST', `/employees/${eid(o.employee)}/calendars/oauth`, { code: o.code, state: o.state });
    setTimeout(() => announce(`Calendar connected: ${k.name || k.account}`), 60);
  } catch (e) {
    if (e.status !== 401) setTimeout(() => showError(`The calendar was not connected: ${e.message}`), 60);
  }
  return true;
}

// connectOutcome reports the result of a consent page the API sent the
// browser back from (#/calendars?connected=… or ?connectError=…) once,
// then drops it from the address.
function connectOutcome(params, emp) {
  const connected = params.get('connected'), failed = params.get('connectError');
  if (!connected && !failed) return;
  history.replaceState(null, '', `#/calendars?employee=${encodeURIComponent(emp)}`);
  setTimeout(() => {
    if (connected) announce('Calendar connected');
    else showError(CONNECT_ERRORS[failed] || 'The calendar could not be connected. Try again.');
  }, 60);
}

// reconnectOAuth asks for a consent page that re-authorises connection c in place, and opens it.
async function reconnectOAuth(emp, c) {
  try {
    const r = await api('POST', `/employees/${eid(emp)}/calendars/${eid(c.id)}/reconnect`);
    const u = new URL(r.authorizationUrl);
    if (u.protocol !== 'https:') throw new Error('the API sent a consent page that is not https');
    location.assign(u.href);
  } catch (e) { if (e.status !== 401) showError(`${PROVIDERS[c.provider]} could not be reconnected: ${e.message}`); }
}

// reconnectForm asks for a CalDAV account's new password, or an ICS feed's new address.
function reconnectForm(emp, c) {
  const caldav = c.provider === 'caldav';
  const form = onSubmit(h('form', { class: 'stack reconnect', novalidate: true, 'aria-label': `Reconnect ${c.name || c.calendarId}` }, formError(),
    caldav ? field('New password', input('password', '', { type: 'password', required: true, autocomplete: 'new-password' }))
      : field('New feed URL', input('url', '', { type: 'url', required: true, autocomplete: 'off' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Reconnect'))), async (fd) => {
    await api('POST', `/employees/${eid(emp)}/calendars/${eid(c.id)}/reconnect`, caldav ? { password: fd.get('password') } : { url: fd.get('url') });
    announce('Calendar reconnected');
    await render();
  });
  return form;
}

// pageCalendars: one employee's calendar connections, switches, removal and new connections.
async function pageCalendars({ params }) {
  const emps = visibleEmployees();
  const emp = params.get('employee') || emps[0]?.id || '';
  connectOutcome(params, emp);
  if (await completeOAuth()) return pageCalendars({ params: new URLSearchParams({ employee: emp }) });
  const head = [pageHead('Calendars'), h('div', { class: 'toolbar' }, employeeSelect(emps, emp, (e) => go('calendars', { employee: e })))];
  if (!emp) return h('section', {}, head, h('p', {}, 'There are no employees yet.'));
  const { calendars } = await api('GET', `/employees/${eid(emp)}/calendars`);
  const can = canEditEmployee(emp);
  const base = `/employees/${eid(emp)}/calendars`;
  let caldavForm = null;
  // toggle renders one switch checkbox that PUTs only its own property.
  const toggle = (c, key, label, extra = {}) => {
    const cb = h('input', { type: 'checkbox', id: `${key}-${c.id}`, checked: c[key], disabled: !can || extra.disabled });
    cb.addEventListener('change', async () => {
      cb.disabled = true;
      try {
        await api('PUT', `${base}/${eid(c.id)}`, { [key]: cb.checked });
        announce(`${label}: ${cb.checked ? 'on' : 'off'}`);
        if (key === 'isDefault') await render();
      } catch (e) { cb.checked = !cb.checked; if (e.status !== 401) showError(e.message); }
      cb.disabled = false;
    });
    return h('div', { class: 'field check' }, cb, h('label', { for: cb.id }, label));
  };
  const cards = calendars.map((c) => {
    const reauth = c.status === 'needs_reauth';
    const oauth = c.provider === 'google' || c.provider === 'microsoft';
    let panel = null;
    const reconnect = can ? h('button', {
      type: 'button', class: reauth ? '' : 'secondary', onclick: (ev) => {
        if (oauth) return reconnectOAuth(emp, c);
        if (!panel) { panel = reconnectForm(emp, c); ev.target.closest('article').append(panel); }
        panel.querySelector('input').focus();
      },
    }, 'Reconnect') : null;
    const waiting = c.pendingRemovals > 0 ? h('p', { class: 'note', 'data-pending-removals': c.pendingRemovals },
      c.pendingRemovals === 1
        ? 'The event of 1 cancelled booking is still in this calendar: slotbook could not remove it and keeps trying; it goes as soon as the calendar can be written again.'
        : `The events of ${c.pendingRemovals} cancelled bookings are still in this calendar: slotbook could not remove them and keeps trying; they go as soon as the calendar can be written again.`) : null;
    return h('article', { class: `card cal${reauth ? ' reauth' : ''}`, 'data-calendar': c.id, 'aria-labelledby': `cal-${c.id}` },
      h('div', { class: 'cal-head' },
        h('h3', { id: `cal-${c.id}` }, c.name || c.calendarId || PROVIDERS[c.provider]),
        h('span', { class: `badge ${reauth ? 'bad' : 'ok'}` }, reauth ? 'Needs re-authorisation' : 'Connected')),
      h('p', { class: 'muted' }, `${PROVIDERS[c.provider] || c.provider}${c.account ? ` · ${c.account}` : ''}`),
      reauth ? h('p', { class: 'problem' }, 'The provider refused the stored access. Until it is reconnected, this employee gets no free slots.') : null,
      waiting,
      h('div', { class: 'switches' },
        toggle(c, 'checkConflicts', 'Check conflicts'),
        toggle(c, 'showInOverview', 'Show event titles in the overview'),
        toggle(c, 'isDefault', c.provider === 'ics' ? 'Default calendar (not for ICS feeds)' : 'Default calendar for new bookings', { disabled: c.provider === 'ics' })),
      can ? h('div', { class: 'actions' }, reconnect, confirmButton('Remove', 'Yes, remove', async () => {
        await api('DELETE', `${base}/${eid(c.id)}`);
        announce('Calendar removed');
        await render();
      }, { 'aria-label': `Remove ${c.name || c.calendarId || c.provider}` })) : null);
  });
  let connect = null;
  if (can) {
    // created reloads the page after a new connection.
    const created = async () => { announce('Calendar connected'); await render(); };
    caldavForm = onSubmit(h('form', { class: 'card stack', novalidate: true, 'aria-labelledby': 'caldav-title' },
      h('h3', { id: 'caldav-title' }, 'CalDAV account'), formError(),
      h('p', { class: 'hint' }, 'iCloud, Nextcloud, Fastmail and other CalDAV servers. Use an app password where the provider offers one.'),
      field('Server URL', input('url', '', { type: 'url', required: true, placeholder: 'https://caldav.example.com/', autocomplete: 'off' })),
      h('div', { class: 'row2' },
        field('Username', input('username', '', { required: true, autocomplete: 'off' })),
        field('Password', input('password', '', { type: 'password', required: true, autocomplete: 'new-password' }))),
      h('div', { class: 'row2' },
        field('Calendar id (optional)', input('calendarId', '', { autocomplete: 'off' }), 'The calendar path; default the first calendar.'),
        field('Name (optional)', input('name', '', { maxlength: 200 }))),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Connect CalDAV calendar'))), async (fd) => {
      const body = { provider: 'caldav', url: fd.get('url'), username: fd.get('username'), password: fd.get('password') };
      if (fd.get('calendarId')) body.calendarId = fd.get('calendarId');
      if (fd.get('name')) body.name = fd.get('name');
      await api('POST', base, body);
      await created();
    });
    const icsForm = onSubmit(h('form', { class: 'card stack', novalidate: true, 'aria-labelledby': 'ics-title' },
      h('h3', { id: 'ics-title' }, 'ICS feed'), formError(),
      h('p', { class: 'hint' }, 'A read-only iCalendar feed: its events block slots, but bookings cannot be written there.'),
      field('Feed URL', input('url', '', { type: 'url', required: true, placeholder: 'https:// or webcal://', autocomplete: 'off' })),
      field('Name (optional)', input('name', '', { maxlength: 200 })),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add ICS feed'))), async (fd) => {
      const body = { provider: 'ics', url: fd.get('url') };
      if (fd.get('name')) body.name = fd.get('name');
      await api('POST', base, body);
      await created();
    });
    connect = h('section', { class: 'connect', 'aria-labelledby': 'connect-title' },
      h('h2', { id: 'connect-title' }, 'Connect a calendar'),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => connectOAuth(emp, 'google') }, 'Connect Google Calendar'),
        h('button', { type: 'button', onclick: () => connectOAuth(emp, 'microsoft') }, 'Connect Microsoft 365')),
      h('div', { class: 'row2 align-top' }, caldavForm, icsForm));
  }
  return h('section', {}, head,
    h('h2', {}, `Calendars of ${employeeName(emp)}`),
    cards.length ? h('div', { class: 'cards' }, cards) : h('p', { class: 'muted' }, 'No calendars connected.'),
    connect);
}

/* ---------------------------------------------------------------- boot */

// loadConfig reads ../config.json; on failure the local same-origin defaults apply.
async function loadConfig() {
  try {
    const res = await fetch(new URL('../config.json', location.href), { cache: 'no-store' });
    if (!res.ok) throw new Error(String(res.status));
    const c = await res.json();
    return { api: String(c.api || '').replace(/\/+$/, ''), auth: c.auth && c.auth.mode ? c.auth : { mode: 'local' } };
  } catch {
    return { api: '', auth: { mode: 'local' } };
  }
}

// boot loads the configuration, completes a sign-in in progress and starts the app.
async function boot() {
  state.cfg = await loadConfig();
  $('sign-out').addEventListener('click', signOut);
  let message = null;
  if (cognito()) message = await finishCognitoLogin();
  window.addEventListener('hashchange', () => {
    takeOAuthReturn();
    if (!/^#token=/.test(location.hash)) return render();
    takeFragmentToken();
    if (useFragmentToken()) startSession();
  });
  if (message) { clearSession(); return showSignIn(message); }
  useFragmentToken();
  await startSession();
}

// The link token, and a consent page's code, leave the address bar before anything else, so
// that a quick change of the fragment cannot lose them; they count once the configuration is
// loaded and the user is signed in.
takeFragmentToken();
takeOAuthReturn();
boot().catch((e) => showError(`The dashboard could not start: ${e.message}`));
