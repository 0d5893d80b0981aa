// Console sessions: who is signed in to the console, and signing one out.

import { api, current } from "../api.js";
import { confirmButton, el, fill, notice, table, when } from "../ui.js";

export async function render(main, { title }) {
  const body = el("div");
  fill(main, el("h1", {}, title), body);
  await draw(body);
}

async function draw(body, said) {
  const { sessions } = await api("GET", "/v1/admin/sessions");
  const mine = current()?.session?.id;
  fill(
    body,
    said ? notice("ok", said) : null,
    el("p", {}, "Each sign-in lasts at most 12 hours; ending one refuses its token at once."),
    table(
      "Live console sessions",
      ["Who", "App", "Signed in", "Ends", "Actions"],
      sessions.map((s) => [
        el("span", {}, s.operator, s.id === mine ? el("span", { class: "badge" }, " this tab") : null),
        s.app || "every app",
        when(s.created_at),
        when(s.expires_at),
        el(
          "td",
          { class: "actions" },
          s.id === mine
            ? ""
            : confirmButton("End", "End: sure?", { "aria-label": `End the session of ${s.operator} (${s.id})` }, async () => {
                await api("DELETE", `/v1/admin/sessions/${encodeURIComponent(s.id)}`);
                await draw(body, `Ended the session of ${s.operator}.`);
              }),
        ),
      ]),
    ),
  );
}
