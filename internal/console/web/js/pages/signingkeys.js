// Signing keys: the service's Ed25519 keys, current, next and retired, and
// rotation.

import { api, ownerApp } from "../api.js";
import { el, fill, form, notice, table, when } from "../ui.js";

export async function render(main, { title }) {
  if (ownerApp()) {
    fill(main, el("h1", {}, title), notice("warn", "Only an operator of the deployment sees and rotates the signing keys."));
    return;
  }
  const body = el("div");
  fill(main, el("h1", {}, title), body);
  await draw(body);
}

async function draw(body, rotated) {
  const { keys } = await api("GET", "/v1/admin/signing-keys");
  const state = (k) => el("span", { class: `badge ${k.state === "current" ? "ok" : ""}` }, k.state);
  fill(
    body,
    rotated ? notice("ok", `Rotated: ${rotated} signs from now on.`) : null,
    el("p", {}, "The current key signs service tokens; the next one is published ahead so verifiers know it; a retired key stays in the JWKS until every token it signed has expired."),
    table(
      "Signing keys",
      ["Key id", "State", "Created", "Current since", "Retired", "Published until"],
      keys.map((k) => [el("code", {}, k.id), state(k), when(k.created_at), when(k.activated_at), when(k.retired_at), when(k.publish_until)]),
    ),
    form({ "aria-label": "Rotate the signing keys" }, [el("div", { class: "row" }, el("button", { type: "submit" }, "Rotate now"))], async () => {
      const { current } = await api("POST", "/v1/admin/signing-keys/rotate");
      await draw(body, current);
    }),
  );
}
