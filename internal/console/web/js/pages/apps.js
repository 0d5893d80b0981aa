// Apps and their API keys: create an app (operators), create a key (its
// secret shown once), revoke a key.

import { api, appPath, ownerApp } from "../api.js";
import { confirmButton, copyButton, el, field, fill, form, table, when } from "../ui.js";
import { state } from "../state.js";

export async function render(main, { title }) {
  const body = el("div");
  fill(main, el("h1", {}, title), body);
  await draw(body);
}

async function draw(body, shown) {
  const app = state.app;
  const parts = [];
  if (!ownerApp()) {
    parts.push(
      el("h2", { id: "apps-h" }, "Apps"),
      table(
        "Every app of this deployment",
        ["Name", "Id", "Created"],
        state.apps.map((a) => [a.name, el("code", {}, a.id), when(a.created_at)]),
        "No app yet.",
      ),
      el("h3", { id: "new-app-h" }, "New app"),
      form(
        { "aria-labelledby": "new-app-h" },
        [
          field("Name", el("input", { name: "name", autocomplete: "off" }), "1-64 letters, digits, '.', '_' or '-'."),
          el("div", { class: "row" }, el("button", { type: "submit" }, "Create app")),
        ],
        async (f) => {
          const created = await api("POST", "/v1/admin/apps", { name: f.elements.name.value.trim() });
          sessionStorage.setItem("stagedoor.console.app", created.id);
          state.go("apps");
        },
      ),
    );
  }
  if (app) {
    const { keys } = await api("GET", appPath(app.id, "/keys"));
    parts.push(
      el("h2", { id: "keys-h" }, `API keys of ${app.name}`),
      shown ? secretBox(shown) : null,
      table(
        `API keys of ${app.name}`,
        ["Key", "Kind", "Created", "State", "Actions"],
        keys.map((k) => [
          el("code", {}, k.api_key),
          k.kind === "development" ? el("span", { class: "badge dev" }, "development") : "production",
          when(k.created_at),
          k.revoked_at ? el("span", { class: "badge bad" }, "revoked") : el("span", { class: "badge ok" }, "live"),
          el(
            "td",
            { class: "actions" },
            k.revoked_at
              ? ""
              : confirmButton("Revoke", "Revoke: sure?", { "aria-label": `Revoke ${k.api_key}` }, () => revoke(body, app, k.api_key)),
          ),
        ]),
        "No key yet.",
      ),
      el("h3", { id: "new-key-h" }, "New key"),
      form(
        { "aria-labelledby": "new-key-h" },
        [
          field(
            "Kind",
            el("select", { name: "kind" }, el("option", { value: "production" }, "production"), el("option", { value: "development" }, "development")),
            "Development keys mint short-lived tokens without moderation, invite, broadcast.manage or api.write.",
          ),
          el("div", { class: "row" }, el("button", { type: "submit" }, "Create key")),
        ],
        async (f) => {
          const k = await api("POST", appPath(app.id, "/keys"), { kind: f.elements.kind.value });
          await draw(body, k);
        },
      ),
    );
  }
  fill(body, parts);
  body.querySelector(".secret button")?.focus();
}

async function revoke(body, app, key) {
  await api("DELETE", appPath(app.id, `/keys/${encodeURIComponent(key)}`));
  await draw(body);
}

/** The secret of a new key: shown here, this once. */
function secretBox(k) {
  const curl = `curl -s -u '${k.api_key}:${k.api_secret}' -H 'Content-Type: application/json' \\\n  -d '{"user_id":"alice","role":"host","rooms":["demo"]}' ${location.origin}/v1/tokens`;
  return el(
    "section",
    { class: "panel secret", "aria-labelledby": "secret-h" },
    el("h3", { id: "secret-h" }, "New key: copy its secret now"),
    el("p", {}, "The secret is shown only this once; the server keeps it encrypted and never shows it again."),
    el(
      "dl",
      { class: "facts" },
      el("dt", {}, "API key"),
      el("dd", { class: "mono", id: "new-key" }, k.api_key),
      el("dt", {}, "API secret"),
      el("dd", { class: "mono", id: "new-secret" }, k.api_secret, " ", copyButton(k.api_secret, "Copy secret")),
      el("dt", {}, "Kind"),
      el("dd", {}, k.kind),
    ),
    el("h4", {}, "Mint a token with it"),
    el("pre", {}, curl),
  );
}
