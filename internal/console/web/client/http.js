import { StagedoorError } from "./errors.js";
import { abortReason, withRetries } from "./retry.js";
/** The URL of path (which starts with /) on the server. */
export function urlOf(t, path) {
    return t.baseUrl.replace(/\/+$/, "") + path;
}
/** The path segment of a name: room names and ids may hold any character but "/". */
export function segment(name) {
    return encodeURIComponent(name);
}
/**
 * Sends one request and returns its JSON answer (undefined for 204); a
 * non-2xx answer throws its problem as a StagedoorError, a failed
 * connection a network_error.
 */
export async function send(t, method, path, opts = {}) {
    const headers = { Accept: "application/json" };
    if (opts.token !== undefined)
        headers["Authorization"] = `Bearer ${opts.token}`;
    if (opts.key !== undefined)
        headers["Authorization"] = `Basic ${btoa(`${opts.key.apiKey}:${opts.key.apiSecret}`)}`;
    const init = { method, headers, cache: "no-store" };
    if (opts.body !== undefined) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(opts.body);
    }
    if (opts.signal !== undefined)
        init.signal = opts.signal;
    let res;
    try {
        res = await t.fetch(urlOf(t, path), init);
    }
    catch (err) {
        if (opts.signal?.aborted)
            throw abortReason(opts.signal);
        throw new StagedoorError({ code: "network_error", status: 0, detail: `${method} ${path}: ${err instanceof Error ? err.message : String(err)}`, cause: err });
    }
    if (!res.ok)
        throw await StagedoorError.fromResponse(res);
    if (res.status === 204)
        return undefined;
    try {
        return (await res.json());
    }
    catch (err) {
        if (opts.signal?.aborted)
            throw abortReason(opts.signal);
        throw new StagedoorError({ code: "network_error", status: 0, detail: `${method} ${path}: the answer was cut: ${String(err)}`, cause: err });
    }
}
/**
 * Sends a request with the AuthClient's token, retrying network errors and
 * 5xx with backoff. A 401 "expired" gets one more try with a new token.
 */
export function sendAuthorized(t, auth, method, path, body, signal) {
    let renewed = false;
    return withRetries(async () => {
        const token = await auth.getToken();
        try {
            return await send(t, method, path, { token, body, signal });
        }
        catch (err) {
            if (renewed || !(err instanceof StagedoorError) || err.status !== 401 || err.code !== "expired" || !auth.canRefresh)
                throw err;
            renewed = true;
            auth.invalidate(token);
            return send(t, method, path, { token: await auth.getToken(), body, signal });
        }
    }, t.retry, t.log, `${method} ${path}`, signal);
}
