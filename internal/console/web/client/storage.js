import { StagedoorError } from "./errors.js";
/**
 * Refuses localStorage: it outlives the tab and the session, and every
 * script of the origin reads it, so one injected script would carry the
 * token away long after the user left.
 */
export function checkStorage(storage) {
    if (storage === localStorageOrUndefined()) {
        throw new StagedoorError({
            code: "insecure_storage",
            status: 0,
            detail: "tokens are never kept in localStorage: keep them in memory (the default) or pass sessionStorage",
        });
    }
    return storage;
}
function localStorageOrUndefined() {
    try {
        return typeof localStorage === "undefined" ? undefined : localStorage;
    }
    catch {
        // A browser that blocks storage throws on the very access.
        return undefined;
    }
}
