// Revocations: revoke the picked app's tokens by user, room, token id or
// issue time, and read its revocation feed.

import { api, appPath } from "../api.js";
import { el, field, fill, form, notice, table, when } from "../ui.js";
import { state } from "../state.js";

const kinds = [
  ["user_id", "Every token of a user", "User id"],
  ["room", "Every token for a room", "Room"],
  ["token_id", "One token, by its id (jti)", "Token id"],
  ["issued_before", "Every token of the app issued before a time", "Issued before"],
];

/** The page works on the picked app; main.js asks for one first. */
export const needsApp = true;

export async function render(main, { title }) {
  const app = state.app;
  const feed = el("div");
  const kind = el("select", { name: "kind" }, kinds.map(([v, label]) => el("option", { value: v }, label)));
  const slot = el("div");
  const valueField = () => {
    const [name, , label] = kinds.find(([v]) => v === kind.value);
    const input =
      name === "issued_before"
        ? el("input", { name, type: "datetime-local", step: "1" })
        : el("input", { name, autocomplete: "off", spellcheck: "false" });
    fill(slot, field(label, input));
  };
  kind.addEventListener("change", valueField);
  valueField();
  const f = form(
    { "aria-labelledby": "revoke-h" },
    [field("Revoke", kind), slot, el("div", { class: "row" }, el("button", { type: "submit", class: "danger" }, "Revoke"))],
    async () => {
      const input = slot.querySelector("input");
      let value = input.value.trim();
      if (input.type === "datetime-local" && value) value = new Date(value).toISOString();
      const r = await api("POST", appPath(app.id, "/revocations"), { [input.name]: value });
      await drawFeed(feed, app, `Revoked: ${describe(r)}.`);
      input.value = "";
    },
  );
  fill(main, el("h1", {}, title), el("section", { class: "panel" }, el("h2", { id: "revoke-h" }, `Revoke tokens of ${app.name}`), f), feed);
  await drawFeed(feed, app);
}

function describe(r) {
  switch (r.kind) {
    case "user_id":
      return `every token of user ${r.value} issued so far`;
    case "room":
      return `every token for room ${r.value} issued so far`;
    case "token_id":
      return `token ${r.value}`;
    case "issued_before":
      return `every token issued before ${new Date(r.issued_before).toLocaleString()}`;
    case "api_key":
      return `every token of API key ${r.value}`;
    default:
      return `${r.kind} ${r.value || ""}`;
  }
}

async function drawFeed(feed, app, said) {
  const { revocations } = await api("GET", appPath(app.id, "/revocations?after=0"));
  fill(
    feed,
    el("h2", {}, "The feed"),
    said ? notice("ok", said) : null,
    el("p", { class: "hint" }, "What verifiers following GET /v1/revocations apply, newest first; each is kept until no token it matches can still be valid."),
    table(
      `Revocations of ${app.name}`,
      ["Seq", "What", "Made", "Kept until"],
      [...revocations].reverse().map((r) => [String(r.seq), describe(r), when(r.created_at), when(r.expires_at)]),
      "Nothing revoked.",
    ),
  );
}
