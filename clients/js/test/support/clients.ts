// Clients of the tests' users, each connected through the backend's token
// endpoint, and disconnected after each test.
import { afterEach, inject } from "vitest";
import { StagedoorClient, type ClientOptions, type Room, type RoomSnapshot } from "../../src/index.js";
import { Backend } from "./backend.js";
import { until } from "./wait.js";

export const setup = inject("stagedoor");
export const backend = new Backend(setup.url, setup.prod);
export const fastRetry = { attempts: 5, baseDelay: 20, maxDelay: 200 };

const open: StagedoorClient[] = [];

/** Disconnects every client of the test. */
export async function disconnectAll(): Promise<void> {
  await Promise.all(open.splice(0).map((c) => c.disconnectUser()));
}
afterEach(disconnectAll);

/** A client connected as userId with role, through baseUrl (the server by default). */
export async function connect(userId: string, role: string, options: ClientOptions & { baseUrl?: string; token?: Record<string, unknown> } = {}): Promise<StagedoorClient> {
  const { baseUrl, token, ...clientOptions } = options;
  const client = new StagedoorClient({ baseUrl: baseUrl ?? setup.url, options: { retry: fastRetry, ...clientOptions } });
  open.push(client);
  await client.connectUser({ id: userId }, backend.provider(userId, role, token));
  return client;
}

/** Keeps a client to disconnect after the test. */
export function keep(client: StagedoorClient): StagedoorClient {
  open.push(client);
  return client;
}

/** Waits until room's snapshot satisfies check. */
export function snapshotUntil(room: Room, check: (s: RoomSnapshot) => boolean, what: string, ms = 10_000): Promise<RoomSnapshot> {
  return until(room.subscribe, () => (check(room.getSnapshot()) ? room.getSnapshot() : undefined), what, ms);
}
