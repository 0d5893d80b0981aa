import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { StagedoorClient } from "../src/index.js";
import { unique } from "./support/backend.js";
import { backend, setup } from "./support/clients.js";
import { within } from "./support/wait.js";

const child = fileURLToPath(new URL("./fixtures/disconnect-child.mjs", import.meta.url));

describe("disconnectUser", () => {
  it("leaves no timer, stream or session behind: the Node process exits by itself", async () => {
    const room = await backend.room(unique("exit"));
    const user = unique("nora");
    const proc = spawn(process.execPath, [child], {
      env: { ...process.env, STAGEDOOR_URL: setup.url, STAGEDOOR_KEY: setup.prod.api_key, STAGEDOOR_SECRET: setup.prod.api_secret, ROOM: room, USER: user },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    proc.stdout.on("data", (b: Buffer) => (out += b.toString()));
    proc.stderr.on("data", (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
    // A heartbeat timer would keep it alive forever, the token refresh for minutes.
    const code = await within(exited, 20_000, "the child to exit").catch((e: unknown) => {
      proc.kill("SIGKILL");
      throw e;
    });
    expect(err).toBe("");
    expect(code).toBe(0);
    const [first, last] = out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({ refreshing: true });
    expect(last).toEqual({ disconnected: true, state: "left", timers: [] });
    const session = first!["session"] as string;

    // The server shows the session left.
    const view = await backend.view(room);
    expect([...view.participants, ...view.waiting].map((s) => s.session_id)).not.toContain(session);
    expect(view.producers).toEqual([]);
    const ended = (await backend.events(room)).find((e) => e.type === "session.ended" && e.session_id === session);
    expect(ended?.data?.reason).toBe("left");
  });

  it("keeps one instance per server and user until disconnected", async () => {
    const user = { id: unique("ida") };
    const options = { baseUrl: setup.url, user, tokenProvider: backend.provider(user.id, "viewer") };
    const a = StagedoorClient.getOrCreateInstance(options);
    expect(StagedoorClient.getOrCreateInstance(options)).toBe(a);
    expect(StagedoorClient.getOrCreateInstance({ ...options, user: { id: unique("other") } })).not.toBe(a);
    await a.room(await backend.room(unique("one"))).join();
    expect(a.user).toMatchObject({ type: "authenticated", id: user.id });
    await a.disconnectUser();
    expect(a.user).toBeUndefined();
    expect(StagedoorClient.getOrCreateInstance(options)).not.toBe(a);
    await StagedoorClient.getOrCreateInstance(options).disconnectUser();
    await StagedoorClient.getOrCreateInstance({ ...options, user: { id: "x" } }).disconnectUser();
  });
});
