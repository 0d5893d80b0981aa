// Roles: the built-in and custom roles of the picked app, each with its
// rank and the roles its holder may grant, and the custom role editor.

import { api, appPath } from "../api.js";
import { checked, checks, confirmButton, el, field, fill, form, table } from "../ui.js";
import { state } from "../state.js";

let vocabulary;

/** The permission vocabulary, as the API document lists it. */
async function permissions() {
  if (!vocabulary) {
    const res = await fetch("/openapi.json", { cache: "no-store" });
    vocabulary = (await res.json()).components.schemas.Permission.enum;
  }
  return vocabulary;
}

/** The page works on the picked app; main.js asks for one first. */
export const needsApp = true;

export async function render(main, { title }) {
  const app = state.app;
  const body = el("div");
  fill(main, el("h1", {}, title), body);
  await draw(body, app);
}

async function draw(body, app, editing) {
  const [{ roles }, vocab] = await Promise.all([api("GET", appPath(app.id, "/roles")), permissions()]);
  const custom = editing ? roles.find((r) => r.name === editing) : undefined;
  const editor = form(
    { "aria-labelledby": "role-h" },
    [
      el(
        "div",
        { class: "row" },
        field("Name", el("input", { name: "name", autocomplete: "off", value: custom?.name || "" }), "Lowercase letters, digits, '.', '_' or '-'."),
        field("Rank", el("input", { name: "rank", type: "number", min: "0", max: "100", inputmode: "numeric", value: custom ? String(custom.rank) : "" }), "0 to 100: whoever gives this role must rank at least as high."),
      ),
      checks("Permissions", "permissions", vocab, custom?.permissions || []),
      el("div", { class: "row" }, el("button", { type: "submit" }, "Save role")),
    ],
    async (f) => {
      const name = f.elements.name.value.trim();
      const rank = f.elements.rank.value === "" ? undefined : Number(f.elements.rank.value);
      if (!name) throw { field: "name", detail: "required" };
      await api("PUT", appPath(app.id, `/roles/${encodeURIComponent(name)}`), { permissions: checked(f, "permissions"), rank });
      await draw(body, app);
    },
  );
  fill(
    body,
    table(
      `Roles of ${app.name}, highest rank first`,
      ["Role", "Rank", "Permissions", "May grant", "Actions"],
      roles.map((r) => [
        el("span", {}, el("strong", {}, r.name), " ", r.builtin ? el("span", { class: "badge" }, "built-in") : el("span", { class: "badge ok" }, "custom")),
        String(r.rank),
        r.permissions.join(", "),
        r.may_grant.join(", ") || "nothing",
        el(
          "td",
          { class: "actions" },
          r.builtin
            ? ""
            : el(
                "div",
                { class: "row" },
                el("button", { type: "button", class: "secondary small", "aria-label": `Edit ${r.name}`, onclick: () => draw(body, app, r.name) }, "Edit"),
                confirmButton("Delete", "Delete: sure?", { "aria-label": `Delete ${r.name}` }, () => remove(body, app, r.name)),
              ),
        ),
      ]),
    ),
    el("section", { class: "panel" }, el("h2", { id: "role-h" }, custom ? `Edit ${custom.name}` : "New custom role"), editor),
  );
}

async function remove(body, app, name) {
  await api("DELETE", appPath(app.id, `/roles/${encodeURIComponent(name)}`));
  await draw(body, app);
}
