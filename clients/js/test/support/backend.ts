// The partner backend of the tests: it holds the production key and mints
// tokens, creates rooms and revokes users with it, as a real backend would.
import { randomUUID } from "node:crypto";
import type { ApiKey } from "./stagedoor.js";
import type { RoomEvent, RoomView, TokenResponse } from "../../src/index.js";

export class Backend {
  constructor(
    readonly url: string,
    private readonly key: ApiKey,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json", Authorization: `Basic ${btoa(`${this.key.api_key}:${this.key.api_secret}`)}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(this.url + path, { method, headers, body: body === undefined ? null : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  /** Mints a token (CreateAccessToken). */
  mint(body: Record<string, unknown>): Promise<TokenResponse> {
    return this.call<TokenResponse>("POST", "/v1/tokens", body);
  }

  async token(userId: string, role: string, extra: Record<string, unknown> = {}): Promise<string> {
    return (await this.mint({ user_id: userId, role, ...extra })).access_token;
  }

  /** A token provider for userId, as the browser's call to the backend's token endpoint. */
  provider(userId: string, role: string, extra: Record<string, unknown> = {}): () => Promise<string> {
    return () => this.token(userId, role, extra);
  }

  async room(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    await this.call("POST", "/v1/rooms", { name, ...extra });
    return name;
  }

  view(name: string): Promise<RoomView> {
    return this.call<RoomView>("GET", `/v1/rooms/${encodeURIComponent(name)}`);
  }

  async revokeUser(userId: string): Promise<void> {
    await this.call("POST", "/v1/revocations", { user_id: userId });
  }

  /** Every event of room kept so far, read by long polls with the API key. */
  async events(room: string): Promise<RoomEvent[]> {
    const out: RoomEvent[] = [];
    for (let after = 0; ; ) {
      const page = await this.call<{ events: RoomEvent[]; cursor: number }>(
        "GET",
        `/v1/rooms/${encodeURIComponent(room)}/events?after=${after}&wait=0s`,
        undefined,
      );
      out.push(...page.events);
      if (page.cursor === after) return out;
      after = page.cursor;
    }
  }

  /**
   * Waits, by long polls with the API key, for an event of room matching
   * match, for at most ms.
   */
  async waitForEvent(room: string, match: (e: RoomEvent) => boolean, ms = 10_000): Promise<RoomEvent> {
    const deadline = Date.now() + ms;
    for (let after = 0; Date.now() < deadline; ) {
      const wait = Math.max(1, Math.min(5, Math.floor((deadline - Date.now()) / 1000)));
      const page = await this.call<{ events: RoomEvent[]; cursor: number }>(
        "GET",
        `/v1/rooms/${encodeURIComponent(room)}/events?after=${after}&wait=${wait}s`,
      );
      const found = page.events.find(match);
      if (found !== undefined) return found;
      after = page.cursor;
    }
    throw new Error(`no matching event in room ${room} within ${ms} ms`);
  }
}

/** A name no other test uses. */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
