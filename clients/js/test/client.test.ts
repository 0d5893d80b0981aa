import { describe, expect, it } from "vitest";
import { StagedoorClient, StagedoorError } from "../src/index.js";
import { unique } from "./support/backend.js";
import { backend, connect, fastRetry, keep, setup } from "./support/clients.js";

function client(options: ConstructorParameters<typeof StagedoorClient>[0]["options"] = {}): StagedoorClient {
  return keep(new StagedoorClient({ baseUrl: setup.url, options: { retry: fastRetry, ...options } }));
}

describe("connectUser", () => {
  it("tries again after failures that may pass, up to maxConnectUserRetries", async () => {
    const user = unique("ria");
    let calls = 0;
    const reported: StagedoorError[][] = [];
    const c = client({ maxConnectUserRetries: 2, onConnectUserError: (_, all) => reported.push(all) });
    const connected = await c.connectUser({ id: user }, async () => {
      if (++calls <= 2) throw new TypeError("fetch failed");
      return backend.token(user, "viewer");
    });
    expect(connected).toMatchObject({ type: "authenticated", id: user });
    expect(calls).toBe(3);
    expect(reported).toEqual([]);
  });

  it("gives up and reports every error to onConnectUserError", async () => {
    let calls = 0;
    const reported: Array<[StagedoorError, StagedoorError[]]> = [];
    const c = client({ maxConnectUserRetries: 1, onConnectUserError: (err, all) => reported.push([err, all]) });
    const err = await c
      .connectUser({ id: "u" }, async () => {
        calls++;
        throw Object.assign(new Error("backend down"), { status: 503 });
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, code: "unavailable" });
    expect(calls).toBe(2);
    expect(reported).toHaveLength(1);
    expect(reported[0]![0]).toBe(err);
    expect(reported[0]![1]).toHaveLength(2);
    // What needed the user fails with why it could not connect.
    await expect(c.room("any").join()).rejects.toBe(err);
    await c.disconnectUser();
    await expect(c.room("any").join()).rejects.toMatchObject({ code: "not_connected" });
  });

  it("refuses a token for another user, without retrying", async () => {
    let calls = 0;
    const c = client({ maxConnectUserRetries: 3 });
    const err = await c
      .connectUser({ id: unique("alice") }, async () => {
        calls++;
        return backend.token(unique("mallory"), "viewer");
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "user_mismatch" });
    expect(calls).toBe(1);
  });

  it("creates a guest with an invite-holding token, and one with a development key", async () => {
    const name = await backend.room(unique("party"));
    const hostToken = await backend.token(unique("hana"), "host", { rooms: [name] });
    const byInvite = client();
    const gus = await byInvite.connectUser({ type: "guest", name: "Gus", image: "https://example.com/gus.png" }, hostToken);
    expect(gus).toMatchObject({ type: "guest", name: "Gus", image: "https://example.com/gus.png" });
    expect(gus.id).not.toBe("");
    const session = await byInvite.room(name).join();
    expect(session.user_id).toBe(gus.id);
    expect(byInvite.authClient?.claims?.grants?.rooms).toEqual([name]);

    const dev = client();
    const dora = await dev.connectUser({ type: "guest", name: "Dora", rooms: [name] }, { apiKey: setup.dev.api_key, apiSecret: setup.dev.api_secret });
    expect(dora).toMatchObject({ type: "guest", name: "Dora" });
    expect(dev.authClient?.claims?.dev).toBe(true);
    await dev.room(name).join();

    // A development key connects guests only.
    await expect(client().connectUser({ id: "x" }, { apiKey: setup.dev.api_key, apiSecret: setup.dev.api_secret })).rejects.toMatchObject({ code: "invalid_user" });
  });

  it("connects an anonymous watcher with a token bound to rooms", async () => {
    const name = await backend.room(unique("show"));
    const token = (await backend.mint({ user_type: "anonymous", role: "viewer", rooms: [name] })).access_token;
    const c = client();
    expect(await c.connectUser({ type: "anonymous" }, token)).toMatchObject({ type: "anonymous", id: "!anon" });
    const room = c.room(name);
    await room.join();
    expect(room.getSnapshot().permissions).toEqual(["consume", "room.join"]);
    await expect(room.produce("camera")).rejects.toMatchObject({ status: 403, code: "missing_permission" });

    const authenticated = await backend.token(unique("al"), "viewer", { rooms: [name] });
    await expect(client().connectUser({ type: "anonymous" }, authenticated)).rejects.toMatchObject({ code: "invalid_user" });
  });

  it("creates a room with a token holding room.create", async () => {
    const c = await connect(unique("bea"), "broadcaster");
    const room = await c.createRoom({ name: unique("live"), type: "livestream" });
    expect(room).toMatchObject({ type: "livestream" });
    await c.room(room.name).join();
    const viewer = await connect(unique("vic"), "viewer");
    await expect(viewer.createRoom({ name: unique("nope") })).rejects.toMatchObject({ status: 403, code: "missing_permission" });
  });
});
