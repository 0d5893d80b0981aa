import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StagedoorClient, type Room, type RoomEvent } from "../src/index.js";
import { Backend, unique } from "./support/backend.js";
import { disconnectAll, fastRetry, keep, setup } from "./support/clients.js";
import { FaultProxy } from "./support/proxy.js";
import { provision, startServer, type Provisioned, type RunningServer } from "./support/stagedoor.js";
import { until } from "./support/wait.js";

// These tests stop and start a server of their own.
let data: Provisioned;
let server: RunningServer;
let backend: Backend;

beforeAll(async () => {
  data = await provision(setup.bin);
  server = await startServer(setup.bin, data.dataDir);
  backend = new Backend(server.url, data.prod);
});

afterAll(async () => {
  await server.stop();
  await rm(data.dataDir, { recursive: true, force: true });
});

/** A user in room, joined, and every event its room delivered, from the first. */
async function member(baseUrl: string, user: string, role: string, room: string): Promise<{ room: Room; events: RoomEvent[] }> {
  const client = keep(new StagedoorClient({ baseUrl, options: { retry: fastRetry } }));
  await client.connectUser({ id: user }, backend.provider(user, role));
  const r = client.room(room);
  const events: RoomEvent[] = [];
  r.on("event", (e) => events.push(e));
  await r.join();
  return { room: r, events };
}

function seen(events: RoomEvent[], seq: number): Promise<true> {
  return until(
    (notify) => {
      const t = setInterval(notify, 20);
      return () => clearInterval(t);
    },
    () => (events.some((e) => e.seq >= seq) ? true : undefined),
    `event ${seq}`,
  );
}

describe("room events", () => {
  it("resume after the server drops the stream, with no event lost or repeated", async () => {
    const name = await backend.room(unique("restart"));
    const { room: host } = await member(server.url, unique("hana"), "host", name);
    const { room: watcher, events } = await member(server.url, unique("walt"), "viewer", name);
    await host.produce("camera");
    await host.unproduce("camera");
    await seen(events, (await backend.events(name)).at(-1)!.seq);

    // The operator restarts the server: every stream drops, without an end.
    const addr = server.addr;
    await server.stop();
    server = await startServer(setup.bin, data.dataDir, addr);

    await host.produce("screen");
    await host.unproduce("screen");
    const all = await backend.events(name);
    await seen(events, all.at(-1)!.seq);
    expect(events.map((e) => e.seq)).toEqual(all.map((e) => e.seq));
    expect(events.map((e) => e.type)).toEqual(all.map((e) => e.type));
    expect(watcher.state).toBe("joined");
  });

  it("resume after the connection is cut, with no event lost or repeated", async () => {
    const proxy = await FaultProxy.start(server.url);
    try {
      const name = await backend.room(unique("cut"));
      const { room: host } = await member(server.url, unique("hana"), "host", name);
      const { room: watcher, events } = await member(proxy.url, unique("walt"), "viewer", name);
      await host.produce("camera");
      await seen(events, (await backend.events(name)).at(-1)!.seq);

      for (let round = 0; round < 3; round++) {
        proxy.cut();
        proxy.fail(2, "drop");
        proxy.fail(1, "unavailable");
        await host.unproduce("camera");
        await host.produce("camera");
      }
      const all = await backend.events(name);
      await seen(events, all.at(-1)!.seq);
      expect(events.map((e) => e.seq)).toEqual(all.map((e) => e.seq));
      expect(proxy.dropped).toBeGreaterThanOrEqual(6);
      expect(watcher.state).toBe("joined");
    } finally {
      await disconnectAll();
      await proxy.close();
    }
  });
});
