// @vitest-environment jsdom
import { act, cleanup, render, renderHook, screen, waitFor } from "@testing-library/react";
import { StrictMode } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { AuthClient, StagedoorClient } from "../src/index.js";
import { StagedoorProvider, useAuthClient, useRoom, useStagedoorClient } from "../src/react.js";
import { unique } from "./support/backend.js";
import { backend, connect, fastRetry, keep, setup } from "./support/clients.js";

afterEach(cleanup);

function RoomView({ name }: { name: string }) {
  const room = useRoom(name, { autoJoin: true });
  return (
    <div>
      <p>state: {room.state}</p>
      <p>participants: {room.participants.length}</p>
      <p>waiting: {room.waiting.length}</p>
      <p>producers: {room.producers.map((p) => p.participant).join(",")}</p>
      <p>permissions: {room.permissions.join(",")}</p>
      <p>session: {room.session?.session_id ?? "-"}</p>
    </div>
  );
}

describe("React bindings", () => {
  it("useAuthClient keeps an AuthClient for the component's life", async () => {
    const user = unique("rhea");
    const first = await backend.token(user, "viewer");
    let refreshes = 0;
    const { result, rerender, unmount } = renderHook(
      ({ token }) =>
        useAuthClient({
          token,
          refresh: async () => {
            refreshes++;
            return backend.token(user, "viewer");
          },
        }),
      { initialProps: { token: first }, wrapper: StrictMode },
    );
    await waitFor(() => expect(result.current).toBeInstanceOf(AuthClient));
    const client = result.current!;
    expect(await client.getToken()).toBe(first);

    const second = await backend.token(user, "viewer");
    rerender({ token: second });
    await waitFor(() => expect(result.current!.token).toBe(second));
    expect(result.current).toBe(client);

    client.invalidate(second);
    const third = await client.getToken();
    expect(third).not.toBe(second);
    expect(refreshes).toBe(1);

    unmount();
    await expect(client.getToken()).rejects.toMatchObject({ code: "closed" });
  });

  it("useStagedoorClient needs a provider", () => {
    const quiet = console.error;
    console.error = () => {};
    try {
      expect(() => renderHook(() => useStagedoorClient())).toThrow(/StagedoorProvider/);
    } finally {
      console.error = quiet;
    }
  });

  it("useRoom renders the waiting room, the admission, the room and the leave", async () => {
    const name = await backend.room(unique("react"));
    const host = (await connect(unique("hana"), "host")).room(name);
    await host.join();
    await host.produce("camera");

    const user = unique("kim");
    const client = keep(new StagedoorClient({ baseUrl: setup.url, options: { retry: fastRetry } }));
    await client.connectUser({ id: user }, backend.provider(user, "knocker"));
    const view = render(
      <StrictMode>
        <StagedoorProvider client={client}>
          <RoomView name={name} />
        </StagedoorProvider>
      </StrictMode>,
    );
    await screen.findByText("state: waiting", undefined, { timeout: 10_000 });
    const waiting = await waitFor(() => {
      const w = host.getSnapshot().waiting;
      expect(w).toHaveLength(1);
      return w[0]!;
    });
    expect(screen.getByText(`session: ${waiting.session_id}`)).toBeTruthy();

    await act(async () => {
      await host.admit(waiting.session_id);
    });
    await screen.findByText("state: joined", undefined, { timeout: 10_000 });
    expect(screen.getByText("participants: 2")).toBeTruthy();
    expect(screen.getByText("permissions: consume,room.ask_join")).toBeTruthy();
    expect(screen.getByText(`producers: ${host.getSnapshot().participants[0]!.participant}`)).toBeTruthy();

    // A moderator's change shows at once.
    await act(async () => {
      await host.setPermissions(waiting.session_id, ["consume", "room.ask_join", "data.receive"]);
    });
    await screen.findByText("permissions: consume,data.receive,room.ask_join", undefined, { timeout: 10_000 });

    view.unmount();
    const ended = await backend.waitForEvent(name, (e) => e.type === "session.ended" && e.session_id === waiting.session_id);
    expect(ended.data?.reason).toBe("left");
  });
});

describe("token storage", () => {
  it("keeps the token in sessionStorage across a reload, never in localStorage", async () => {
    const token = await backend.token(unique("sam"), "viewer");
    expect(() => new AuthClient({ token, storage: localStorage })).toThrow(expect.objectContaining({ code: "insecure_storage" }));
    expect(localStorage.length).toBe(0);

    const before = new AuthClient({ token, storage: sessionStorage });
    before.close();
    const reloaded = new AuthClient({ storage: sessionStorage });
    expect(await reloaded.getToken()).toBe(token);
    reloaded.clear();
    reloaded.close();
    expect(sessionStorage.length).toBe(0);

    // Memory only by default.
    new AuthClient({ token }).close();
    expect(sessionStorage.length + localStorage.length).toBe(0);
  });
});
