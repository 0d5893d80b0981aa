// Token generator: a token of the picked app as one of its keys would mint
// it, with the claims, the rights room by room, and the curl and
// stagedoor token mint lines that mint the same.

import { api, appPath } from "../api.js";
import { checked, checks, copyButton, el, field, fill, form, json, notice, shellQuote } from "../ui.js";
import { state } from "../state.js";
import { rightsTable } from "./inspect.js";

/** The page works on the picked app; main.js asks for one first. */
export const needsApp = true;

export async function render(main, { title }) {
  const app = state.app;
  const [{ keys }, { roles }] = await Promise.all([api("GET", appPath(app.id, "/keys")), api("GET", appPath(app.id, "/roles"))]);
  const live = keys.filter((k) => !k.revoked_at);
  const result = el("div", { id: "minted", "aria-live": "polite" });
  if (!live.length) {
    fill(main, el("h1", {}, title), notice("warn", `${app.name} has no live API key: create one on the Apps and keys page.`));
    return;
  }
  const keySelect = el(
    "select",
    { name: "api_key" },
    live.map((k) => el("option", { value: k.api_key }, `${k.api_key} (${k.kind})`)),
  );
  const roleSelect = el(
    "select",
    { name: "role" },
    roles.map((r) => el("option", { value: r.name, selected: r.name === "host" }, `${r.name} (rank ${r.rank})`)),
  );
  const userType = el(
    "select",
    { name: "user_type" },
    ["authenticated", "guest", "anonymous"].map((t) => el("option", { value: t }, t)),
  );
  const audience = el("select", { name: "audience" }, el("option", { value: "rtc" }, "rtc (media)"), el("option", { value: "api" }, "api (server APIs)"));
  const ttl = el("input", { name: "ttl_seconds", type: "number", min: "1", inputmode: "numeric" });
  const perms = el("div");
  const f = form(
    { "aria-labelledby": "gen-h" },
    [
      field("API key", keySelect, "The token is minted as this key would mint it: its kind sets the caps."),
      el(
        "div",
        { class: "row" },
        field("User type", userType),
        field("User id", el("input", { name: "user_id", autocomplete: "off", value: "alice" }), "Not for anonymous users."),
        field("Display name", el("input", { name: "name", autocomplete: "off" })),
      ),
      el("div", { class: "row" }, field("Role", roleSelect), field("Audience", audience), field("Lifetime (seconds)", ttl)),
      el(
        "div",
        { class: "row" },
        field("Rooms", el("input", { name: "rooms", autocomplete: "off", value: "demo" }), "Comma-separated; empty for any room of the app."),
        field("Participant id", el("input", { name: "participant_id", autocomplete: "off" }), "Optional binding."),
      ),
      perms,
      el("div", { class: "row" }, el("button", { type: "submit" }, "Generate token")),
    ],
    async (sent) => {
      const body = requestOf(sent);
      const minted = await api("POST", appPath(app.id, "/tokens"), body);
      const seen = await api("POST", "/v1/admin/inspect", { token: minted.access_token });
      const key = live.find((k) => k.api_key === body.api_key);
      fill(result, shown(app, key, body, minted, seen));
      result.querySelector("h2")?.focus();
    },
  );
  const refit = () => {
    const key = live.find((k) => k.api_key === keySelect.value);
    ttl.max = String(key.max_ttl_seconds);
    ttl.placeholder = `${key.default_ttl_seconds} (at most ${key.max_ttl_seconds})`;
    const api = audience.value === "api";
    const offered = key.may_grant.filter((p) => p.startsWith("api.") === api);
    fill(perms, checks(`Extra permissions (what a ${key.kind} key may give)`, "permissions", offered, checked(f, "permissions")));
  };
  keySelect.addEventListener("change", refit);
  audience.addEventListener("change", refit);
  refit();
  fill(main, el("h1", {}, title), el("section", { class: "panel" }, el("h2", { id: "gen-h" }, `New token for ${app.name}`), f), result);
}

/** The body of the mint request the form asks for. */
function requestOf(f) {
  const v = (n) => f.elements[n].value.trim();
  const body = { api_key: v("api_key"), role: v("role") };
  const type = v("user_type");
  if (type !== "authenticated") body.user_type = type;
  if (type !== "anonymous" && v("user_id")) body.user_id = v("user_id");
  if (v("name")) body.name = v("name");
  const rooms = v("rooms").split(",").map((r) => r.trim()).filter(Boolean);
  if (rooms.length) body.rooms = rooms;
  if (v("participant_id")) body.participant_id = v("participant_id");
  const extra = checked(f, "permissions");
  if (extra.length) body.permissions = extra;
  if (v("ttl_seconds")) body.ttl_seconds = Number(v("ttl_seconds"));
  if (v("audience") !== "rtc") body.audience = v("audience");
  return body;
}

/** The token minted, what it says, and how to mint it elsewhere. */
function shown(app, key, body, minted, seen) {
  const { api_key: _, ...request } = body;
  const curl = `curl -s -u "${key.api_key}:$API_SECRET" -H 'Content-Type: application/json' \\\n  -d ${shellQuote(JSON.stringify(request))} ${location.origin}/v1/tokens`;
  return el(
    "section",
    { class: "panel", "aria-labelledby": "token-h" },
    el("h2", { id: "token-h", tabindex: "-1" }, "Token ", seen.development ? el("span", { class: "badge dev" }, "development token") : el("span", { class: "badge ok" }, "production")),
    seen.development ? notice("warn", "A development token: limited rights, at most an hour; production verifiers may refuse it.") : null,
    el("textarea", { readonly: true, "aria-label": "Access token", id: "token-out", rows: "4" }, minted.access_token),
    el("div", { class: "row" }, copyButton(minted.access_token, "Copy token"), el("button", { type: "button", class: "secondary small", id: "to-inspector", onclick: () => { state.inspect = minted.access_token; state.go("inspect"); } }, "Open in the inspector")),
    el("h3", {}, "Claims"),
    json(seen.claims),
    el("h3", {}, "Effective permissions"),
    rightsTable(seen),
    el("h3", {}, "The same with curl"),
    el("pre", {}, curl),
    el("h3", {}, "The same with stagedoor token mint"),
    el("pre", {}, mintLine(app, key, body)),
  );
}

/** The stagedoor token mint line that signs the same request offline. */
function mintLine(app, key, b) {
  const args = ["stagedoor", "token", "mint", "--api-key", key.api_key, "--api-secret", '"$API_SECRET"'];
  if (key.kind === "development") args.push("--development");
  if (b.user_type) args.push("--user-type", b.user_type);
  if (b.user_id) args.push("--user", shellQuote(b.user_id));
  args.push("--role", shellQuote(b.role));
  for (const r of b.rooms || []) args.push("--room", shellQuote(r));
  if (b.participant_id) args.push("--participant", shellQuote(b.participant_id));
  if (b.name) args.push("--name", shellQuote(b.name));
  for (const p of b.permissions || []) args.push("--permission", p);
  if (b.ttl_seconds) args.push("--ttl", String(b.ttl_seconds));
  if (b.audience) args.push("--audience", b.audience);
  args.push("--app", app.id);
  return args.join(" ");
}
