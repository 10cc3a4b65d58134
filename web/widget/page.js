// What the widget's own pages (cancel.html, reschedule.html) share.
window.slotbookPage = {
  /** apiBase returns the API's base URL: from the link (q's api), else the deployment's config.json, else this origin. */
  async apiBase(q) {
    let api = q.get("api") || "";
    if (!api) {
      try {
        const res = await fetch(new URL("../config.json", location.href));
        if (res.ok) api = (await res.json()).api || "";
      } catch (_) { /* same origin */ }
    }
    return (api || location.origin).replace(/\/+$/, "");
  },
};
