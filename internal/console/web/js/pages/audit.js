// The audit log: who did what, filtered by app, action, actor and time,
// newest first, a page at a time.

import { api, ownerApp } from "../api.js";
import { el, field, fill, form, showError, table, when } from "../ui.js";
import { state } from "../state.js";

export async function render(main, { title }) {
  const out = el("div");
  const scope = el(
    "select",
    { name: "app" },
    ownerApp() ? null : el("option", { value: "" }, "every app"),
    state.apps.map((a) => el("option", { value: a.id, selected: a.id === state.app?.id && Boolean(ownerApp()) }, a.name)),
  );
  const f = form(
    { "aria-labelledby": "audit-h" },
    [
      el(
        "div",
        { class: "row" },
        field("App", scope),
        field("Action", el("input", { name: "action", autocomplete: "off", placeholder: "key.revoke" })),
        field("Actor", el("input", { name: "actor", autocomplete: "off", placeholder: "operator:alice" })),
      ),
      el(
        "div",
        { class: "row" },
        field("Since", el("input", { name: "since", type: "datetime-local", step: "1" })),
        field("Until", el("input", { name: "until", type: "datetime-local", step: "1" })),
        field("Order", el("select", { name: "order" }, el("option", { value: "newest" }, "newest first"), el("option", { value: "oldest" }, "oldest first"))),
      ),
      el("div", { class: "row" }, el("button", { type: "submit" }, "Show")),
    ],
    async (sent) => {
      await page(out, sent, queryOf(sent));
    },
  );
  fill(main, el("h1", {}, title), el("section", { class: "panel" }, el("h2", { id: "audit-h" }, "Filter"), f), out);
  await page(out, f, queryOf(f));
}

/** The query the filter form asks for. */
function queryOf(f) {
  const q = new URLSearchParams();
  for (const name of ["app", "action", "actor", "order"]) {
    const v = f.elements[name].value.trim();
    if (v) q.set(name, v);
  }
  for (const name of ["since", "until"]) {
    const v = f.elements[name].value;
    if (v) q.set(name, new Date(v).toISOString().replace(/\.\d{3}Z$/, "Z"));
  }
  q.set("limit", "100");
  return q;
}

/** Shows the page of the entries query selects, after cursor if any. */
async function page(out, f, query, cursor) {
  const q = new URLSearchParams(query);
  if (cursor) q.set("cursor", cursor);
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
  const order = query.get("order") === "oldest" ? "oldest first" : "newest first";
  const t = table(`Audit log entries, ${order}`, ["Seq", "Time", "Actor", "Action", "App", "Target", "Detail"], rows, "No entry matches.");
  const more = next
    ? el("button", { type: "button", class: "secondary", onclick: () => page(out, f, query, next).catch((err) => showError(f, err)) }, "Next page")
    : null;
  fill(out, el("h2", {}, cursor ? "More entries" : "Entries"), t, more);
}

function appName(id) {
  return state.apps.find((a) => a.id === id)?.name || id;
}
