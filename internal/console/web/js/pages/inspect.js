// Inspector: any token decoded, its signature checked against the
// server's keys or an API secret, and what the service knows of it.

import { api } from "../api.js";
import { el, field, fill, form, json, notice, table } from "../ui.js";
import { state } from "../state.js";

export function render(main, { title }) {
  const out = el("div", { id: "inspection", "aria-live": "polite" });
  const tokenInput = el("textarea", { name: "token", rows: "5", spellcheck: "false", autocomplete: "off" });
  const f = form(
    { "aria-labelledby": "inspect-h" },
    [
      field("Token", tokenInput, "Any JWT: a service token, a partner's HS256 token, a console token."),
      field("API secret (optional)", el("input", { name: "secret", type: "password", autocomplete: "off" }), "To check an HS256 signature against this secret instead of the keys the server knows."),
      el("div", { class: "row" }, el("button", { type: "submit" }, "Inspect")),
    ],
    async (sent) => {
      const body = { token: sent.elements.token.value.trim().replace(/^Bearer\s+/i, "") };
      if (sent.elements.secret.value) body.secret = sent.elements.secret.value;
      fill(out, report(await api("POST", "/v1/admin/inspect", body)));
      out.querySelector("h2")?.focus();
    },
  );
  fill(main, el("h1", {}, title), el("section", { class: "panel" }, el("h2", { id: "inspect-h" }, "Paste a token"), f), out);
  if (state.inspect) {
    tokenInput.value = state.inspect;
    state.inspect = "";
    f.requestSubmit();
  }
}

/** Seconds as "4 min 10 s". */
function span(s) {
  const a = Math.abs(s);
  const parts = [];
  if (a >= 3600) parts.push(`${Math.floor(a / 3600)} h`);
  if (a >= 60) parts.push(`${Math.floor((a % 3600) / 60)} min`);
  parts.push(`${a % 60} s`);
  return parts.join(" ");
}

function report(r) {
  const verdict = r.valid
    ? notice("ok", el("strong", {}, "Valid. "), "The server takes this token now.")
    : notice("bad", el("strong", {}, `Invalid${r.reason ? ` (${r.reason})` : ""}: `), r.explanation || r.error);
  let left = "—";
  if (typeof r.expires_in_seconds === "number") {
    left = r.expires_in_seconds > 0 ? `${span(r.expires_in_seconds)} left` : `expired ${span(r.expires_in_seconds)} ago`;
  }
  const facts = [
    ["Signature", r.signature === "verified" ? el("span", { class: "badge ok" }, "verified") : el("span", { class: "badge bad" }, r.signature || "not checked")],
    ["Checked against", r.signed_by || "—"],
    ["Time left", left],
    ["Revocation", r.revoked ? el("span", {}, el("span", { class: "badge bad" }, "revoked"), " ", r.revoked_by) : "none matches"],
    ["App", r.app || "—"],
    ["Audience", r.audience || "—"],
    ["User", r.subject ? `${r.subject} (${r.user_type})` : "—"],
    ["Role", r.role || "—"],
    ["Development", r.development ? el("span", { class: "badge dev" }, "development token") : "no"],
  ];
  return el(
    "section",
    { class: "panel", "aria-labelledby": "report-h" },
    el("h2", { id: "report-h", tabindex: "-1" }, "What the token is"),
    verdict,
    el("dl", { class: "facts" }, facts.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
    el("h3", {}, "Effective permissions"),
    rightsTable(r),
    el("div", { class: "grid two" }, el("div", {}, el("h3", {}, "Header"), json(r.header)), el("div", {}, el("h3", {}, "Claims"), json(r.claims))),
  );
}

/** The rights of an inspected token, room by room. */
export function rightsTable(r) {
  if (!r.valid) return el("p", { class: "hint" }, "None: the token is not valid.");
  return table(
    "Rights room by room",
    ["Room", "Allowed", "Enters", "Permissions", "Why"],
    r.rights.map((x) => [
      x.room || "any room of the app",
      x.allowed ? el("span", { class: "badge ok" }, "yes") : el("span", { class: "badge bad" }, "no"),
      x.admission,
      x.permissions.join(", ") || "none",
      x.reason,
    ]),
  );
}
