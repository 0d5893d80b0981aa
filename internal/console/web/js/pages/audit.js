// The audit log: who did what, filtered, a page at a time.

import { api, ownerApp } from "../api.js";
import { el, field, fill, form, table, when } from "../ui.js";
import { state } from "../state.js";

export async function render(main, { title }) {
  const out = el("div");
  const scope = el(
    "select",
    { name: "app" },
    ownerApp() ? null : el("option", { value: "" }, "every app"),
    state.apps.map((a) => el("option", { value: a.id, selected: a.id === state.app?.id && ownerApp() ? true : undefined }, a.name)),
  );
  const f = form(
    { "aria-labelledby": "audit-h" },
    [el("div", { class: "row" }, field("App", scope)), el("div", { class: "row" }, el("button", { type: "submit" }, "Show"))],
    async () => {
      await page(out, { app: scope.value }, true);
    },
  );
  fill(main, el("h1", {}, title), el("section", { class: "panel" }, el("h2", { id: "audit-h" }, "Filter"), f), out);
  await page(out, { app: scope.value }, true);
}

/** Shows the page after cursor of the entries query selects. */
async function page(out, query, first, cursor) {
  const q = new URLSearchParams();
  if (query.app) q.set("app", query.app);
  if (cursor) q.set("cursor", cursor);
  q.set("limit", "100");
  const { entries, next } = await api("GET", `/v1/admin/audit?${q}`);
  const rows = entries.map((e) => [
    String(e.seq),
    when(e.time),
    el("code", {}, e.actor),
    e.action,
    e.app ? appName(e.app) : "—",
    e.target || "—",
    e.detail ? el("code", {}, JSON.stringify(e.detail)) : "",
  ]);
  const t = table("Audit log entries, oldest first", ["Seq", "Time", "Actor", "Action", "App", "Target", "Detail"], rows, "No entry.");
  const more = next ? el("button", { type: "button", class: "secondary", onclick: () => page(out, query, false, next) }, "Next page") : null;
  fill(out, el("h2", {}, first ? "Entries" : `Entries after ${cursor}`), t, more);
}

function appName(id) {
  return state.apps.find((a) => a.id === id)?.name || id;
}
