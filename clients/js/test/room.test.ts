import { describe, expect, it } from "vitest";
import { StagedoorError, isStagedoorError } from "../src/index.js";
import { unique } from "./support/backend.js";
import { backend, connect, disconnectAll, setup, snapshotUntil } from "./support/clients.js";
import { FaultProxy } from "./support/proxy.js";

/** A host in a new room, and kim, who may only ask to join, joining it: waiting. */
async function knocking() {
  const name = await backend.room(unique("lobby"));
  const host = (await connect(unique("hana"), "host")).room(name);
  await host.join();
  const kim = (await connect(unique("kim"), "knocker")).room(name);
  const joining = kim.join();
  // The outcome is awaited later, maybe after it settled: mark it handled
  // now so that a rejection arriving first is not reported as unhandled.
  joining.catch(() => undefined);
  const waiting = await snapshotUntil(kim, (s) => s.state === "waiting", "kim to wait");
  return { host, kim, joining, id: waiting.session!.session_id };
}

describe("Room", () => {
  it("joins, shows who is in the room and keeps the session alive with heartbeats", async () => {
    const name = await backend.room(unique("stage"));
    const alice = (await connect(unique("alice"), "host")).room(name);
    const joined = await alice.join();
    expect(joined.state).toBe("joined");
    expect(alice.state).toBe("joined");
    expect(alice.getSnapshot().permissions).toContain("moderate.kick");

    const bob = (await connect(unique("bob"), "viewer")).room(name);
    const bobSession = await bob.join();
    expect(bob.getSnapshot().participants.map((s) => s.session_id)).toEqual([joined.session_id, bobSession.session_id]);
    expect(bob.getSnapshot().permissions).not.toContain("produce.camera");
    await snapshotUntil(alice, (s) => s.participants.some((p) => p.session_id === bobSession.session_id), "alice to see bob");

    // The lease moves on without anyone asking: a heartbeat renewed it.
    const lease = Date.parse(joined.lease_until);
    await snapshotUntil(alice, (s) => Date.parse(s.session!.lease_until) > lease, "a heartbeat", 20_000);
    const view = await backend.view(name);
    expect(view.participants.map((s) => s.session_id)).toContain(joined.session_id);
  });

  it("waits in the waiting room until a moderator admits", async () => {
    const { host, kim, joining: admitted, id } = await knocking();
    await snapshotUntil(host, (s) => s.waiting.some((w) => w.session_id === id), "the host to see kim waiting");

    await host.admit(id);
    const session = await admitted;
    expect(session.state).toBe("joined");
    expect(kim.state).toBe("joined");
    const snap = kim.getSnapshot();
    expect(snap.participants.map((s) => s.session_id)).toEqual([host.getSnapshot().session!.session_id, id]);
    expect(snap.permissions).toEqual(["consume", "room.ask_join"]);
    await snapshotUntil(host, (s) => s.waiting.length === 0 && s.participants.length === 2, "the host to see kim in");
  });

  it("rejects join() when a moderator turns the user away", async () => {
    const { host, kim, joining, id } = await knocking();
    await host.reject(id);
    const err = (await joining.catch((e: unknown) => e)) as StagedoorError;
    expect(isStagedoorError(err, "rejected")).toBe(true);
    expect(kim.state).toBe("rejected");
    expect(kim.getSnapshot().endReason).toBe("rejected");
  });

  it("reports a full room as a typed error", async () => {
    const name = await backend.room(unique("solo"), { max_producers: 1, max_participants: 2 });
    const alice = (await connect(unique("alice"), "host")).room(name);
    await alice.join();
    const bob = (await connect(unique("bob"), "guest")).room(name);
    await bob.join();
    const produced = await alice.produce("camera");
    expect(produced.sources).toEqual(["camera"]);
    await snapshotUntil(bob, (s) => s.producers.length === 1, "bob to see alice produce");

    const err = (await bob.produce("camera").catch((e: unknown) => e)) as StagedoorError;
    expect(err).toBeInstanceOf(StagedoorError);
    expect(err).toMatchObject({ status: 409, code: "room_full" });

    const carol = (await connect(unique("carol"), "viewer")).room(name);
    await expect(carol.join()).rejects.toMatchObject({ status: 409, code: "room_full" });
    expect(carol.state).toBe("idle");
    expect(carol.getSnapshot().error?.code).toBe("room_full");
  });

  it("moderates: mute, change role, raised hands, kick with block", async () => {
    const name = await backend.room(unique("panel"));
    const host = (await connect(unique("hana"), "host")).room(name);
    await host.join();
    const bob = (await connect(unique("bob"), "guest")).room(name);
    const b = await bob.join();
    await bob.produce("camera");
    await snapshotUntil(host, (s) => s.producers.some((p) => p.session_id === b.session_id), "the host to see bob produce");

    await host.mute(b.session_id, ["camera"]);
    await snapshotUntil(bob, (s) => s.session!.sources.length === 0, "bob to be muted");

    await host.changeRole(b.session_id, "listener");
    const demoted = await snapshotUntil(bob, (s) => s.role === "listener", "bob to become a listener");
    expect(demoted.permissions).not.toContain("produce.microphone");

    const hand = await bob.requestPermission("produce.microphone");
    expect(hand.state).toBe("pending");
    await host.grantRequest(b.session_id, hand.id);
    await snapshotUntil(bob, (s) => s.permissions.includes("produce.microphone"), "bob's raised hand to be granted");
    await bob.produce("microphone");

    await host.kick(b.session_id, { block: true });
    const kicked = await snapshotUntil(bob, (s) => s.state === "ended", "bob to be kicked");
    expect(kicked.endReason).toBe("kicked");
    await expect(bob.join()).rejects.toMatchObject({ status: 403, code: "blocked" });
  });

  it("watches a room as a moderator without joining it", async () => {
    const name = await backend.room(unique("watched"));
    const bob = (await connect(unique("bob"), "guest")).room(name);
    const b = await bob.join();
    const mod = (await connect(unique("mona"), "host", { token: { rooms: [name] } })).room(name);
    await mod.watch();
    expect(mod.state).toBe("watching");
    expect(mod.getSnapshot().session).toBeUndefined();
    await snapshotUntil(mod, (s) => s.participants.some((p) => p.session_id === b.session_id), "the moderator to see bob");
    const view = await backend.view(name);
    expect(view.participants.map((p) => p.session_id)).toEqual([b.session_id]);

    const kim = (await connect(unique("kim"), "knocker")).room(name);
    const admitted = kim.join();
    const waiting = await snapshotUntil(mod, (s) => s.waiting.length === 1, "the moderator to see kim wait");
    await mod.admit(waiting.waiting[0]!.session_id);
    expect((await admitted).state).toBe("joined");
    await snapshotUntil(mod, (s) => s.waiting.length === 0 && s.participants.length === 2, "kim in");

    await mod.changeRole(b.session_id, "listener");
    const hand = await bob.requestPermission("produce.microphone");
    const raised = await snapshotUntil(mod, (s) => s.requests.some((r) => r.id === hand.id), "the moderator to see the raised hand");
    expect(raised.requests[0]).toMatchObject({ session_id: b.session_id, permission: "produce.microphone", state: "pending" });
    await mod.denyRequest(b.session_id, hand.id);
    await snapshotUntil(mod, (s) => s.requests.length === 0, "the hand to be put down");

    await mod.kick(b.session_id, { block: true });
    await snapshotUntil(mod, (s) => s.participants.length === 1, "bob to be gone");
    // join() answers at once while bob's room still shows him joined.
    await snapshotUntil(bob, (s) => s.state === "ended", "bob to see the kick");
    await expect(bob.join()).rejects.toMatchObject({ status: 403, code: "blocked" });

    await mod.leave();
    expect(mod.state).toBe("left");
    const outsider = (await connect(unique("otto"), "viewer")).room(name);
    await expect(outsider.watch()).rejects.toMatchObject({ status: 403 });
    expect(outsider.state).toBe("idle");
  });

  it("surfaces a 401 after a revocation as a typed error and does not retry", async () => {
    const name = await backend.room(unique("revoke"));
    let joins = 0;
    const counting: typeof fetch = (input, init) => {
      if (String(input).endsWith("/join")) joins++;
      return fetch(input, init);
    };
    const user = unique("mallory");
    const room = (await connect(user, "guest", { fetch: counting })).room(name);
    await room.join();
    await backend.revokeUser(user);
    const ended = await snapshotUntil(room, (s) => s.state === "ended", "the session to end");
    expect(ended.endReason).toBe("revoked");

    const err = (await room.join().catch((e: unknown) => e)) as StagedoorError;
    expect(err).toBeInstanceOf(StagedoorError);
    expect(err).toMatchObject({ status: 401, code: "revoked" });
    expect(joins).toBe(2);
    expect(room.getSnapshot()).toMatchObject({ state: "idle", error: err });
  });

  it("replaces the session's token a lease before it expires under the continuous policy", async () => {
    const name = await backend.room(unique("renew"));
    const calls: string[] = [];
    const counting: typeof fetch = (input, init) => {
      calls.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname}`);
      return fetch(input, init);
    };
    // A 45 s token with the server's 30 s lease: due at 15 s, between the
    // first heartbeat (10 s) and the second (20 s).
    const room = (await connect(unique("rene"), "guest", { fetch: counting, token: { ttl_seconds: 45 } })).room(name);
    const joined = await room.join();
    expect(joined.token_expires_at, "the app's session policy is continuous").toBeDefined();
    const renew = `POST /v1/rooms/${name}/sessions/${joined.session_id}/token`;
    const beat = `POST /v1/rooms/${name}/sessions/${joined.session_id}/heartbeat`;
    const count = (call: string) => calls.filter((c) => c === call).length;

    await snapshotUntil(room, (s) => Date.parse(s.session!.lease_until) > Date.parse(joined.lease_until), "the first heartbeat", 20_000);
    expect(count(renew), "the token was replaced long before it expires").toBe(0);

    const exp = Date.parse(joined.token_expires_at!);
    const renewed = await snapshotUntil(room, (s) => Date.parse(s.session!.token_expires_at!) > exp, "the session's token to be replaced", 20_000);
    expect(renewed.state).toBe("joined");
    expect(count(renew)).toBe(1);
    expect(calls.indexOf(renew)).toBeLessThan(calls.lastIndexOf(beat));
    const view = await backend.view(name);
    const own = view.participants.find((p) => p.session_id === joined.session_id);
    expect(Date.parse(own!.token_expires_at!)).toBeGreaterThan(exp);
  });

  it("ends the session with a typed error when the token's renewal is refused, and does not try again", async () => {
    const name = await backend.room(unique("refused"));
    const user = unique("rita");
    let renewals = 0;
    let beatsAfter = 0;
    let refusal: number | undefined;
    const revoking: typeof fetch = async (input, init) => {
      const path = new URL(String(input)).pathname;
      // The event stream is held away (it never answers, until aborted),
      // so that the refused renewal is what the client meets first, and
      // not the session.ended event the revocation also brings.
      if (path.endsWith("/events")) {
        return new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)));
      }
      if (path.endsWith("/heartbeat") && renewals > 0) beatsAfter++;
      if (!path.endsWith("/token")) return fetch(input, init);
      renewals++;
      await backend.revokeUser(user);
      const res = await fetch(input, init);
      refusal = res.status;
      return res;
    };
    // A 20 s token with the server's 30 s lease: the renewal is due at the first heartbeat.
    const room = (await connect(user, "guest", { fetch: revoking, token: { ttl_seconds: 20 } })).room(name);
    const errors: StagedoorError[] = [];
    room.on("error", (e) => errors.push(e));
    await room.join();

    const ended = await snapshotUntil(room, (s) => s.state === "ended", "the session to end", 25_000);
    expect(refusal).toBe(401);
    expect(ended.error).toBeInstanceOf(StagedoorError);
    expect(ended.error).toMatchObject({ status: 401, code: "revoked" });
    expect(ended.endReason).toBe("revoked");
    expect(errors).toContain(ended.error);
    expect(isStagedoorError(ended.error, "revoked") && ended.error.retryable).toBe(false);
    expect(renewals).toBe(1);
    expect(beatsAfter).toBe(0);
    await room.leave();
    expect(renewals).toBe(1);
    expect(room.state).toBe("ended");
  });

  it("retries 5xx and dropped connections with backoff and recovers", async () => {
    const proxy = await FaultProxy.start(setup.url);
    try {
      const name = await backend.room(unique("flaky"));
      const room = (await connect(unique("flo"), "guest", { baseUrl: proxy.url })).room(name);
      proxy.cut();
      proxy.fail(3, "unavailable");
      const session = await room.join();
      expect(session.state).toBe("joined");
      expect(proxy.unavailableServed).toBe(3);
      proxy.cut();
      proxy.fail(2, "drop");
      expect((await room.produce("camera")).sources).toEqual(["camera"]);
      expect(proxy.dropped).toBe(2);
      const view = await backend.view(name);
      expect(view.producers.map((p) => p.session_id)).toEqual([session.session_id]);
    } finally {
      await disconnectAll();
      await proxy.close();
    }
  });
});
