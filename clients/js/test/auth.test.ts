import { afterEach, describe, expect, inject, it } from "vitest";
import { AuthClient, BaseAuthClient, StagedoorError, decodeToken, refreshTokenFlow, type AuthClientOptions } from "../src/index.js";
import { Backend, unique } from "./support/backend.js";
import { FaultProxy } from "./support/proxy.js";
import { until } from "./support/wait.js";

const setup = inject("stagedoor");
const backend = new Backend(setup.url, setup.prod);
const fast = { attempts: 5, baseDelay: 20, maxDelay: 200 };

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function track(client: AuthClient): AuthClient {
  closers.push(() => client.close());
  return client;
}

/** An AuthClient with fast retries whose refresh callback counts its calls. */
function counted(refresh: () => Promise<string>, options: Omit<AuthClientOptions, "refresh" | "retry"> = {}) {
  let calls = 0;
  const auth = track(
    new AuthClient({
      ...options,
      retry: fast,
      refresh: () => {
        calls++;
        return refresh();
      },
    }),
  );
  return { auth, calls: () => calls };
}

/** Whether the server accepts token for consume in any room. */
async function accepted(token: string): Promise<boolean> {
  const res = await fetch(`${setup.url}/v1/verify`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ room: "anywhere", permission: "consume" }),
  });
  return res.status === 200;
}

describe("AuthClient", () => {
  it("is also called BaseAuthClient", () => {
    expect(BaseAuthClient).toBe(AuthClient);
  });

  it("refreshes ahead of expiry, before the token expires", async () => {
    const user = unique("short");
    const first = await backend.token(user, "viewer", { ttl_seconds: 3 });
    const { auth, calls } = counted(() => backend.token(user, "viewer", { ttl_seconds: 3 }), { token: first });
    const exp = decodeToken(first).exp * 1000;
    const refreshed = await until(
      (notify) => auth.on("token.refreshed", notify),
      () => (auth.token !== first ? { token: auth.token!, at: Date.now() } : undefined),
      "the first refresh",
    );
    expect(refreshed.at).toBeLessThan(exp);
    expect(calls()).toBe(1);
    expect(await auth.getToken()).toBe(refreshed.token);
    expect(await accepted(refreshed.token)).toBe(true);
    // And again for the next token: the session outlives several tokens.
    const again = await until(
      (notify) => auth.on("token.refreshed", notify),
      () => (auth.token !== refreshed.token ? auth.token : undefined),
      "the second refresh",
    );
    expect(decodeToken(again).exp).toBeGreaterThan(decodeToken(refreshed.token).exp);
  });

  it("makes one refresh for 50 concurrent getToken() calls", async () => {
    const user = unique("many");
    const { auth, calls } = counted(() => backend.token(user, "viewer"));
    const tokens = await Promise.all(Array.from({ length: 50 }, () => auth.getToken()));
    expect(calls()).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    expect(await accepted(tokens[0]!)).toBe(true);

    // The server refuses the token as expired: again one refresh for all.
    auth.invalidate(tokens[0]!);
    const next = await Promise.all(Array.from({ length: 50 }, () => auth.getToken()));
    expect(calls()).toBe(2);
    expect(new Set(next).size).toBe(1);
    expect(next[0]).not.toBe(tokens[0]);
  });

  it("retries 5xx and dropped connections with backoff and recovers", async () => {
    const proxy = await FaultProxy.start(setup.url);
    closers.push(() => proxy.close());
    const viaProxy = new Backend(proxy.url, setup.prod);
    const user = unique("flaky");
    const tries: number[] = [];
    const errors: StagedoorError[] = [];
    const auth = track(
      new AuthClient({
        retry: fast,
        refresh: async () => {
          tries.push(Date.now());
          const res = await fetch(`${viaProxy.url}/v1/tokens`, {
            method: "POST",
            headers: {
              Authorization: `Basic ${btoa(`${setup.prod.api_key}:${setup.prod.api_secret}`)}`,
              "Content-Type": "application/json",
            },
            body: JSON.stringify({ user_id: user, role: "viewer" }),
          });
          if (!res.ok) throw await StagedoorError.fromResponse(res);
          return ((await res.json()) as { access_token: string }).access_token;
        },
      }),
    );
    auth.on("error", (e) => errors.push(e));
    proxy.fail(2, "unavailable");
    proxy.fail(2, "drop");
    const token = await auth.getToken();
    expect(proxy.unavailableServed).toBe(2);
    expect(proxy.dropped).toBe(2);
    expect(tries).toHaveLength(5);
    expect(errors).toEqual([]);
    expect(await accepted(token)).toBe(true);
  });

  it("surfaces refresh_failed when refresh keeps failing, and tries again on the next call", async () => {
    const { auth, calls } = counted(() => Promise.reject(new TypeError("fetch failed")));
    const errors: StagedoorError[] = [];
    auth.on("error", (e) => errors.push(e));
    const err = await auth.getToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StagedoorError);
    expect((err as StagedoorError).code).toBe("refresh_failed");
    expect(calls()).toBe(fast.attempts);
    expect(errors.map((e) => e.code)).toEqual(["refresh_failed"]);
    await expect(auth.getToken()).rejects.toMatchObject({ code: "refresh_failed" });
    expect(calls()).toBe(2 * fast.attempts);
  });

  it("stops for good when the server refuses the refresh after a revocation", async () => {
    const user = unique("revoked");
    const first = await backend.mint({ user_id: user, role: "viewer", refresh: true });
    let requests = 0;
    const counting: typeof fetch = (input, init) => {
      requests++;
      return fetch(input, init);
    };
    const auth = track(new AuthClient({ token: first.access_token, refresh: refreshTokenFlow({ baseUrl: setup.url, refreshToken: first.refresh_token!, fetch: counting }) }));
    // The flow works while the user is in good standing.
    auth.invalidate(first.access_token);
    const second = await auth.getToken();
    expect(second).not.toBe(first.access_token);
    expect(requests).toBe(1);

    await backend.revokeUser(user);
    expect(await accepted(second)).toBe(false);
    auth.invalidate(second);
    const errors: StagedoorError[] = [];
    auth.on("error", (e) => errors.push(e));
    const err = (await auth.getToken().catch((e: unknown) => e)) as StagedoorError;
    expect(err).toBeInstanceOf(StagedoorError);
    expect(err.status).toBe(400);
    expect(err.code).toBe("invalid_grant");
    expect(requests).toBe(2);
    expect(errors).toEqual([err]);
    // No more tries: the same error, no request.
    await expect(auth.getToken()).rejects.toBe(err);
    expect(requests).toBe(2);
    expect(auth.canRefresh).toBe(false);
  });

  it("stops for good on a 401 from the refresh callback", async () => {
    // The backend's token endpoint refuses: here, stagedoor itself, asked without a key.
    const { auth, calls } = counted(async () => {
      const res = await fetch(`${setup.url}/v1/tokens`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
      throw await StagedoorError.fromResponse(res);
    });
    const err = (await auth.getToken().catch((e: unknown) => e)) as StagedoorError;
    expect(err.status).toBe(401);
    expect(err.code).toBe("invalid_client");
    expect(calls()).toBe(1);
    await expect(auth.getToken()).rejects.toBe(err);
    expect(calls()).toBe(1);
  });

  it("tells when the token expired and cannot be replaced", async () => {
    const token = await backend.token(unique("once"), "viewer", { ttl_seconds: 1 });
    const auth = track(new AuthClient({ token }));
    const notices: string[] = [];
    auth.on("token.expired", (e) => notices.push(e.token));
    const expired = await until(
      (notify) => auth.on("token.expired", notify),
      () => (auth.token === undefined ? true : undefined),
      "token.expired",
    );
    expect(expired).toBe(true);
    await expect(auth.getToken()).rejects.toMatchObject({ code: "token_expired" });
    await expect(auth.getToken()).rejects.toMatchObject({ code: "token_expired" });
    expect(notices).toEqual([token]);
  });

  it("refuses a malformed token and an empty configuration", () => {
    expect(() => new AuthClient({ token: "not-a-jwt" })).toThrow(StagedoorError);
    expect(() => new AuthClient({})).toThrow(/give a token/);
  });

  it("rejects getToken() once closed, and aborts a refresh in flight", async () => {
    let aborted = false;
    const auth = new AuthClient({
      refresh: ({ signal }) =>
        new Promise<string>((_, reject) => {
          signal.addEventListener("abort", () => {
            aborted = true;
            reject(signal.reason);
          });
        }),
    });
    const pending = auth.getToken();
    auth.close();
    await expect(pending).rejects.toMatchObject({ code: "closed" });
    expect(aborted).toBe(true);
    await expect(auth.getToken()).rejects.toMatchObject({ code: "closed" });
  });
});
