import { StagedoorError } from "./errors.js";

/** Where an AuthClient may keep its token besides memory: sessionStorage, or your own. */
export type TokenStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

/**
 * Refuses localStorage: it outlives the tab and the session, and every
 * script of the origin reads it, so one injected script would carry the
 * token away long after the user left.
 */
export function checkStorage(storage: TokenStorage): TokenStorage {
  if (storage === localStorageOrUndefined()) {
    throw new StagedoorError({
      code: "insecure_storage",
      status: 0,
      detail: "tokens are never kept in localStorage: keep them in memory (the default) or pass sessionStorage",
    });
  }
  return storage;
}

function localStorageOrUndefined(): Storage | undefined {
  try {
    return typeof localStorage === "undefined" ? undefined : localStorage;
  } catch {
    // A browser that blocks storage throws on the very access.
    return undefined;
  }
}
