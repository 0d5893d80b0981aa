import { createContext, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from "react";
import { AuthClient, type AuthClientOptions, type RefreshCallback } from "./auth.js";
import type { StagedoorClient } from "./client.js";
import type { Room, RoomSnapshot } from "./room.js";

/**
 * An AuthClient for the component's lifetime: created once mounted
 * (undefined before), closed when unmounted. A new token prop is handed to
 * it; refresh may be a new function on every render.
 */
export function useAuthClient(options: AuthClientOptions): AuthClient | undefined {
  const [client, setClient] = useState<AuthClient>();
  const refresh = useRef<RefreshCallback | undefined>(options.refresh);
  refresh.current = options.refresh;
  const latest = useRef(options);
  latest.current = options;
  const canRefresh = options.refresh !== undefined;
  useEffect(() => {
    const { token, refreshAhead, retry, storage, storageKey, logOptions } = latest.current;
    const c = new AuthClient({
      token,
      refresh: canRefresh ? (ctx) => refresh.current!(ctx) : undefined,
      refreshAhead,
      retry,
      storage,
      storageKey,
      logOptions,
    });
    setClient(c);
    return () => {
      c.close();
      setClient(undefined);
    };
  }, [canRefresh]);
  useEffect(() => {
    if (client !== undefined && options.token !== undefined && client.token !== options.token) client.setToken(options.token);
  }, [client, options.token]);
  return client;
}

const ClientContext = createContext<StagedoorClient | undefined>(undefined);

/** Makes client the one useStagedoorClient() and useRoom() use below. */
export function StagedoorProvider({ client, children }: { client: StagedoorClient; children?: ReactNode }) {
  return <ClientContext.Provider value={client}>{children}</ClientContext.Provider>;
}

/** The client of the nearest StagedoorProvider. */
export function useStagedoorClient(): StagedoorClient {
  const client = useContext(ClientContext);
  if (client === undefined) throw new Error("useStagedoorClient: no StagedoorProvider above this component");
  return client;
}

export interface UseRoomOptions {
  /** Join when mounted and leave when unmounted. Default false: call room.join(). */
  autoJoin?: boolean;
}

export interface UseRoomResult extends RoomSnapshot {
  room: Room;
}

/**
 * The room called name, as the user sees it: state (joined, waiting,
 * rejected, ...), participants, waiting, producers and the user's own
 * effective permissions, rendered again on every change.
 */
export function useRoom(name: string, options: UseRoomOptions = {}): UseRoomResult {
  const client = useStagedoorClient();
  const room = useMemo(() => client.room(name), [client, name]);
  const snapshot = useSyncExternalStore(room.subscribe, room.getSnapshot, room.getSnapshot);
  const autoJoin = options.autoJoin === true;
  useEffect(() => {
    if (!autoJoin) return;
    room.join().catch(() => {
      // The snapshot shows the error and the state.
    });
    return () => {
      room.leave().catch(() => {
        // Its session ends with its lease.
      });
    };
  }, [room, autoJoin]);
  return useMemo(() => ({ ...snapshot, room }), [snapshot, room]);
}
