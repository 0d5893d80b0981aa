// The admin API as the console speaks it: the console token, kept in this
// tab's sessionStorage (never a cookie), refreshed while the tab is open,
// and every refusal an ApiError carrying the server's problem.

const storageKey = "stagedoor.console";

/** A refusal of the API: its problem+json (status, code, detail, field). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || "error";
    this.field = problem.field || "";
    this.detail = this.message;
  }
}

let held = load();
let refreshTimer;
const listeners = new Set();

function load() {
  try {
    const v = JSON.parse(sessionStorage.getItem(storageKey) || "null");
    return v && typeof v.access_token === "string" ? v : null;
  } catch {
    return null;
  }
}

function keep(v) {
  held = v;
  if (v) sessionStorage.setItem(storageKey, JSON.stringify(v));
  else sessionStorage.removeItem(storageKey);
  for (const f of listeners) f(v);
}

/** Calls f with the new sign-in (or null) whenever it changes. */
export function onSession(f) {
  listeners.add(f);
}

/** The console session held, or null: {access_token, expires_at, session}. */
export function current() {
  return held;
}

/** Whether the console acts for one app's owner (then its id), not an operator. */
export function ownerApp() {
  return held?.session?.app || "";
}

async function request(method, path, { body, token, basic } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (basic) headers.Authorization = `Basic ${btoa(`${basic.key}:${basic.secret}`)}`;
  const init = { method, headers, cache: "no-store", credentials: "omit" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { code: "network_error", detail: `the server cannot be reached: ${err.message}` });
  }
  if (res.status === 204) return undefined;
  const text = await res.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { detail: text };
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** Calls the API with the console token; a refused token signs the tab out. */
export async function api(method, path, body) {
  if (!held) throw new ApiError(401, { code: "invalid_token", detail: "sign in first" });
  try {
    return await request(method, path, { body, token: held.access_token });
  } catch (err) {
    if (err.status === 401) signedOut(`Signed out: ${err.detail}`);
    throw err;
  }
}

/** Calls the API with another Bearer token, such as a room's moderator token. */
export function withToken(method, path, token, body) {
  return request(method, path, { body, token });
}

let lastNotice = "";

/** Why the tab was last signed out, once. */
export function takeNotice() {
  const n = lastNotice;
  lastNotice = "";
  return n;
}

function signedOut(notice) {
  clearTimeout(refreshTimer);
  lastNotice = notice;
  keep(null);
}

function started(t) {
  keep(t);
  schedule();
}

/** Signs an operator in with a console link's code. */
export async function signIn(code) {
  started(await request("POST", "/v1/admin/sessions", { body: { code } }));
}

/** Signs an app's owner in with a production API key and its secret. */
export async function signInOwner(key, secret) {
  started(await request("POST", "/v1/admin/sessions", { basic: { key, secret } }));
}

/** Ends the console session and forgets its token. */
export async function signOut() {
  const id = held?.session?.id;
  try {
    if (id) await api("DELETE", `/v1/admin/sessions/${encodeURIComponent(id)}`);
  } finally {
    signedOut("Signed out.");
  }
}

/** Refreshes the console token when two thirds of its life have passed. */
export function schedule() {
  clearTimeout(refreshTimer);
  if (!held) return;
  const left = Date.parse(held.expires_at) - Date.now();
  const wait = Math.max(1000, Math.min(left - 60_000, (held.expires_in * 1000 * 2) / 3));
  refreshTimer = setTimeout(refresh, wait);
}

async function refresh() {
  try {
    keep(await api("POST", "/v1/admin/sessions/refresh"));
    schedule();
  } catch (err) {
    if (err.status !== 401) refreshTimer = setTimeout(refresh, 10_000);
  }
}

/** The path of an app's resource in the admin API. */
export function appPath(app, rest = "") {
  return `/v1/admin/apps/${encodeURIComponent(app)}${rest}`;
}
