// The console's shell: signing in from a console link's fragment, the
// page navigation (#/page), and the app every page works on.

import { api, current, onSession, ownerApp, schedule, signIn, signOut, takeNotice } from "./api.js";
import { el, fill, notice } from "./ui.js";
import { state } from "./state.js";
import * as signin from "./pages/signin.js";
import * as tokens from "./pages/tokens.js";
import * as inspect from "./pages/inspect.js";
import * as rooms from "./pages/rooms.js";
import * as apps from "./pages/apps.js";
import * as roles from "./pages/roles.js";
import * as signingKeys from "./pages/signingkeys.js";
import * as revocations from "./pages/revocations.js";
import * as audit from "./pages/audit.js";
import * as sessions from "./pages/sessions.js";

const pages = [
  ["tokens", "Token generator", tokens],
  ["inspect", "Inspector", inspect],
  ["rooms", "Live rooms", rooms],
  ["apps", "Apps and keys", apps],
  ["roles", "Roles", roles],
  ["signing-keys", "Signing keys", signingKeys],
  ["revocations", "Revocations", revocations],
  ["audit", "Audit log", audit],
  ["sessions", "Console sessions", sessions],
];

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
let leave;

/** Goes to page (a name of pages, with any rest after a slash). */
export function go(route) {
  if (location.hash === `#/${route}`) render();
  else location.hash = `#/${route}`;
}
state.go = go;

async function render() {
  leave?.();
  leave = undefined;
  const hash = location.hash;
  if (!current()) {
    drawShell();
    document.title = "Sign in · stagedoor console";
    signin.render(main, { notice: takeNotice() });
    return;
  }
  const [name, ...rest] = hash.replace(/^#\/?/, "").split("/");
  const page = pages.find((p) => p[0] === name) || pages[0];
  drawShell(page[0]);
  document.title = `${page[1]} · stagedoor console`;
  fill(main);
  try {
    await loadApps();
    if (page[2].needsApp && !state.app) {
      fill(main, el("h1", {}, page[1]), notice("warn", "Create an app first, on the Apps and keys page."));
      return;
    }
    leave = await page[2].render(main, { route: rest.map(decodeURIComponent), title: page[1] });
  } catch (err) {
    // A refused console token has signed the tab out and drawn the sign-in.
    if (current()) fill(main, el("h1", {}, page[1]), notice("bad", err.detail || err.message));
  }
}

/** Reads the apps the console may manage and picks one. */
async function loadApps() {
  const { apps } = await api("GET", "/v1/admin/apps");
  state.apps = apps;
  const wanted = ownerApp() || sessionStorage.getItem("stagedoor.console.app") || "";
  state.app = apps.find((a) => a.id === wanted) || apps[0] || null;
  drawWho();
}

function drawShell(active) {
  nav.hidden = !current();
  fill(
    nav,
    pages.map(([name, title]) => el("a", { href: `#/${name}`, "aria-current": name === active ? "page" : undefined }, title)),
  );
  drawWho();
}

function drawWho() {
  const s = current();
  if (!s) {
    fill(who);
    return;
  }
  const pick = el("select", { id: "app-picker", disabled: Boolean(ownerApp()) || undefined });
  for (const a of state.apps || []) pick.append(el("option", { value: a.id, selected: a.id === state.app?.id }, a.name));
  pick.addEventListener("change", () => {
    sessionStorage.setItem("stagedoor.console.app", pick.value);
    state.app = state.apps.find((a) => a.id === pick.value) || null;
    render();
  });
  fill(
    who,
    el("label", { for: "app-picker" }, "App"),
    pick,
    el("span", { class: "muted", id: "operator" }, s.session.operator),
    el("button", { type: "button", class: "secondary small", onclick: () => signOut() }, "Sign out"),
  );
}

/** Signs in with the code of a console link, then forgets the link. */
async function fromLink() {
  const m = /^#code=([^&]+)/.exec(location.hash);
  if (!m) return;
  const code = decodeURIComponent(m[1]);
  history.replaceState(null, "", `${location.pathname}#/tokens`);
  try {
    await signIn(code);
  } catch (err) {
    signin.failed(err);
  }
}

document.getElementById("skip").addEventListener("click", (e) => {
  e.preventDefault();
  main.focus();
});
window.addEventListener("hashchange", () => {
  if (location.hash.startsWith("#/")) render();
});
onSession((s) => {
  if (!s) render();
});
schedule();
await fromLink();
render();
