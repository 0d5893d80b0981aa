// Live rooms: the picked app's live rooms, and one room watched through
// @stagedoor/client with a moderator token the admin API mints: who is in
// it, who waits (admit, reject), who produces against the cap, raised
// hands (grant, deny), and mute, role change and kick with block, kept
// current from the room's event stream.

import { AuthClient, StagedoorClient, decodeToken } from "../../client/index.js";
import { api, appPath, withToken } from "../api.js";
import { el, fill, notice, table, when } from "../ui.js";
import { state } from "../state.js";

/** The page works on the picked app; main.js asks for one first. */
export const needsApp = true;

/** How many rooms the list shows at a time. */
const roomsPerPage = 50;

export async function render(main, { route, title }) {
  const app = state.app;
  if (route[0]) return watch(main, app, route[0]);
  const out = el("div", { id: "room-list" });
  fill(main, el("h1", {}, title), el("div", { class: "row" }, el("button", { type: "button", class: "secondary", onclick: () => state.go("rooms") }, "Refresh")), out);
  await roomPage(out, app);
  return undefined;
}

/** Shows app's live rooms a page at a time, by name, after after if given. */
async function roomPage(out, app, after = "") {
  const q = new URLSearchParams({ limit: String(roomsPerPage) });
  if (after) q.set("after", after);
  const { rooms, next } = await api("GET", appPath(app.id, `/rooms?${q}`));
  const said = el("div");
  const to = (label, from) =>
    el("button", { type: "button", class: "secondary", onclick: () => roomPage(out, app, from).catch((err) => fill(said, notice("bad", err.detail || err.message))) }, label);
  fill(
    out,
    table(
      `Live rooms of ${app.name}${after ? `, after ${after}` : ""}`,
      ["Room", "Type", "Producers at most", "Participants at most", "Created"],
      rooms.map((r) => [
        el("a", { href: `#/rooms/${encodeURIComponent(r.name)}` }, r.name),
        r.type,
        r.max_producers ? String(r.max_producers) : "no cap",
        r.max_participants ? String(r.max_participants) : "no cap",
        when(r.created_at),
      ]),
      after ? "No more live rooms." : "No live room.",
    ),
    said,
    el("div", { class: "row" }, after ? to("First page", "") : null, next ? to("Next page", next) : null),
  );
}

/** Watches room of app until the page is left; returns what stops it. */
async function watch(main, app, name) {
  const mint = async () => (await api("POST", appPath(app.id, `/rooms/${encodeURIComponent(name)}/moderator-token`))).access_token;
  const first = await mint();
  const auth = new AuthClient({ token: first, refresh: mint });
  const client = new StagedoorClient({ baseUrl: location.origin });
  await client.connectUser({ id: decodeToken(first).sub }, auth);
  const info = await withToken("GET", `/v1/rooms/${encodeURIComponent(name)}`, await auth.getToken());
  const { roles } = await api("GET", appPath(app.id, "/roles"));
  const room = client.room(name);
  const said = el("div", { "aria-live": "assertive" });
  const live = el("div", { id: "room-live" });
  const log = el("ol", { class: "events", "aria-label": "Latest events, newest first", tabindex: "0" });
  const events = [];
  fill(
    main,
    el("h1", {}, `Room ${name}`),
    el("p", {}, el("a", { href: "#/rooms" }, "All live rooms"), ` · ${info.type} room · moderating as ${decodeToken(first).sub}`),
    said,
    live,
    el("h2", {}, "Events"),
    log,
  );
  const act = async (what, f) => {
    fill(said);
    try {
      await f();
    } catch (err) {
      fill(said, notice("bad", `${what}: ${err.detail || err.message}`));
    }
  };
  const chosen = { roles: new Map(), blocks: new Set() };
  const draw = () => drawRoom(live, room.getSnapshot(), info, roles, act, room, chosen);
  room.subscribe(draw);
  room.on("event", (e) => {
    events.unshift(e);
    events.length = Math.min(events.length, 30);
    fill(log, events.map((x) => el("li", {}, when(x.time), ` ${x.type}`, x.data?.session ? ` · ${x.data.session.participant}` : "", x.data?.reason ? ` (${x.data.reason})` : "")));
  });
  await room.watch();
  draw();
  return () => {
    room.leave().catch(() => undefined);
    client.disconnectUser().catch(() => undefined);
    auth.close();
  };
}

/**
 * Draws the room's snapshot, keeping the focus where it was and the
 * choices made but not applied yet (chosen roles and block boxes).
 */
function drawRoom(live, snap, info, roles, act, room, chosen) {
  const focused = document.activeElement?.dataset?.key;
  const cap = info.max_producers;
  const full = cap > 0 && snap.producers.length >= cap;
  const byId = new Map([...snap.participants, ...snap.waiting].map((s) => [s.session_id, s]));
  const key = (k) => ({ "data-key": k });
  const roleChoice = (s) => {
    const want = chosen.roles.get(s.session_id) || s.role;
    const pick = el("select", { "aria-label": `New role for ${s.participant}`, ...key(`role-${s.session_id}`) }, roles.map((r) => el("option", { value: r.name, selected: r.name === want }, r.name)));
    pick.addEventListener("change", () => chosen.roles.set(s.session_id, pick.value));
    return el(
      "div",
      { class: "row" },
      pick,
      el("button", { type: "button", class: "secondary small", ...key(`setrole-${s.session_id}`), onclick: () => act(`Role of ${s.participant}`, () => room.changeRole(s.session_id, pick.value)) }, "Set role"),
    );
  };
  const kick = (s) => {
    const block = el("input", { type: "checkbox", id: `block-${s.session_id}`, checked: chosen.blocks.has(s.session_id), ...key(`block-${s.session_id}`) });
    block.addEventListener("change", () => (block.checked ? chosen.blocks.add(s.session_id) : chosen.blocks.delete(s.session_id)));
    return el(
      "div",
      { class: "row" },
      el("label", { for: block.id }, block, " block from rejoining"),
      el("button", { type: "button", class: "danger small", ...key(`kick-${s.session_id}`), "aria-label": `Kick ${s.participant}`, onclick: () => act(`Kick ${s.participant}`, () => room.kick(s.session_id, { block: block.checked })) }, "Kick"),
    );
  };
  const mute = (s) =>
    s.sources.map((src) =>
      el("button", { type: "button", class: "secondary small", ...key(`mute-${s.session_id}-${src}`), "aria-label": `Mute the ${src} of ${s.participant}`, onclick: () => act(`Mute ${s.participant}`, () => room.mute(s.session_id, [src])) }, `Mute ${src}`),
    );
  fill(
    live,
    snap.state === "ended" ? notice("bad", `No longer watching: ${snap.endReason}.`) : null,
    el("p", { id: "producers" }, el("strong", {}, "Producers: "), `${snap.producers.length} of ${cap > 0 ? cap : "no cap"}`, full ? [" ", el("span", { class: "badge bad" }, "full: more are refused")] : ""),
    el("h2", {}, `Waiting (${snap.waiting.length})`),
    table(
      "Waiting to be admitted",
      ["Participant", "User", "Role", "Since", "Decide"],
      snap.waiting.map((s) => [
        s.participant,
        s.user_id,
        s.role,
        when(s.created_at),
        decide(
          el("button", { type: "button", class: "small", ...key(`admit-${s.session_id}`), "aria-label": `Admit ${s.participant}`, onclick: () => act(`Admit ${s.participant}`, () => room.admit(s.session_id)) }, "Admit"),
          el("button", { type: "button", class: "danger small", ...key(`reject-${s.session_id}`), "aria-label": `Reject ${s.participant}`, onclick: () => act(`Reject ${s.participant}`, () => room.reject(s.session_id)) }, "Reject"),
        ),
      ]),
      "Nobody waits.",
    ),
    el("h2", {}, `Raised hands (${snap.requests.length})`),
    table(
      "Raised hands",
      ["Participant", "Asks for", "Decide"],
      snap.requests.map((r) => {
        const who = byId.get(r.session_id)?.participant || r.session_id;
        return [
          who,
          r.permission,
          decide(
            el("button", { type: "button", class: "small", ...key(`grant-${r.id}`), "aria-label": `Grant ${r.permission} to ${who}`, onclick: () => act(`Grant ${who}`, () => room.grantRequest(r.session_id, r.id)) }, "Grant"),
            el("button", { type: "button", class: "secondary small", ...key(`deny-${r.id}`), "aria-label": `Deny ${r.permission} to ${who}`, onclick: () => act(`Deny ${who}`, () => room.denyRequest(r.session_id, r.id)) }, "Deny"),
          ),
        ];
      }),
      "No hand raised.",
    ),
    el("h2", {}, `Participants (${snap.participants.length})`),
    table(
      "Participants",
      ["Participant", "User", "Role", "Producing", "Mute", "Role change", "Kick"],
      snap.participants.map((s) => [
        s.participant,
        s.user_id,
        s.role,
        s.sources.join(", ") || "nothing",
        el("td", { class: "actions" }, el("div", { class: "row" }, mute(s))),
        el("td", { class: "actions" }, roleChoice(s)),
        el("td", { class: "actions" }, kick(s)),
      ]),
      "Nobody is in the room.",
    ),
  );
  if (focused) live.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
}

/** A cell of buttons side by side. */
function decide(...buttons) {
  return el("td", { class: "actions" }, el("div", { class: "row" }, buttons));
}
