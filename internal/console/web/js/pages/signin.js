// Sign-in: an operator's console link (or its code), or an app owner's
// production API key and secret.

import { signIn, signInOwner } from "../api.js";
import { el, field, fill, form, notice, showError } from "../ui.js";
import { state } from "../state.js";

let linkError;

/** Remembers why signing in with a console link failed, for the page to show. */
export function failed(err) {
  linkError = err;
}

/** The code of a console link, or the code itself. */
function codeOf(text) {
  const m = /#code=([^&\s]+)/.exec(text);
  return m ? decodeURIComponent(m[1]) : text.trim();
}

export function render(main, { notice: said }) {
  const operator = form(
    { "aria-labelledby": "signin-operator" },
    [
      field(
        "Console link or code",
        el("input", { name: "code", autocomplete: "off", spellcheck: "false" }),
        "Run stagedoor admin login on the server and open the link it prints, or paste it here. It works once.",
      ),
      el("div", { class: "row" }, el("button", { type: "submit" }, "Sign in")),
    ],
    async (f) => {
      await signIn(codeOf(f.elements.code.value));
      state.go("tokens");
    },
  );
  const owner = form(
    { "aria-labelledby": "signin-owner" },
    [
      field("API key", el("input", { name: "api_key", autocomplete: "username", spellcheck: "false" })),
      field("API secret", el("input", { name: "api_secret", type: "password", autocomplete: "current-password" }), "A production key of your app; you will see only that app."),
      el("div", { class: "row" }, el("button", { type: "submit" }, "Sign in as the app's owner")),
    ],
    async (f) => {
      await signInOwner(f.elements.api_key.value.trim(), f.elements.api_secret.value);
      state.go("tokens");
    },
  );
  fill(
    main,
    el("h1", {}, "Sign in"),
    said ? notice("warn", said) : null,
    el(
      "div",
      { class: "grid two" },
      el("section", { class: "panel" }, el("h2", { id: "signin-operator" }, "Operator"), operator),
      el("section", { class: "panel" }, el("h2", { id: "signin-owner" }, "App owner"), owner),
    ),
  );
  if (linkError) {
    showError(operator, linkError);
    linkError = undefined;
  }
}
