import type { AuthClient } from "./auth.js";
import { StagedoorError } from "./errors.js";
import type { Logger } from "./log.js";
import { abortReason, withRetries, type RetryOptions } from "./retry.js";

/** An API key and secret of a development key, for a front end under development. */
export interface DevelopmentKey {
  apiKey: string;
  apiSecret: string;
}

/** How the client reaches the server. */
export interface Transport {
  baseUrl: string;
  fetch: typeof fetch;
  retry: Required<RetryOptions>;
  log: Logger;
}

export interface RequestOptions {
  token?: string | undefined;
  key?: DevelopmentKey | undefined;
  body?: unknown;
  signal?: AbortSignal | undefined;
}

/** The URL of path (which starts with /) on the server. */
export function urlOf(t: Transport, path: string): string {
  return t.baseUrl.replace(/\/+$/, "") + path;
}

/** The path segment of a name: room names and ids may hold any character but "/". */
export function segment(name: string): string {
  return encodeURIComponent(name);
}

/**
 * Sends one request and returns its JSON answer (undefined for 204); a
 * non-2xx answer throws its problem as a StagedoorError, a failed
 * connection a network_error.
 */
export async function send<T>(t: Transport, method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (opts.token !== undefined) headers["Authorization"] = `Bearer ${opts.token}`;
  if (opts.key !== undefined) headers["Authorization"] = `Basic ${btoa(`${opts.key.apiKey}:${opts.key.apiSecret}`)}`;
  const init: RequestInit = { method, headers, cache: "no-store" };
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(opts.body);
  }
  if (opts.signal !== undefined) init.signal = opts.signal;
  let res: Response;
  try {
    res = await t.fetch(urlOf(t, path), init);
  } catch (err) {
    if (opts.signal?.aborted) throw abortReason(opts.signal);
    throw new StagedoorError({ code: "network_error", status: 0, detail: `${method} ${path}: ${err instanceof Error ? err.message : String(err)}`, cause: err });
  }
  if (!res.ok) throw await StagedoorError.fromResponse(res);
  if (res.status === 204) return undefined as T;
  try {
    return (await res.json()) as T;
  } catch (err) {
    if (opts.signal?.aborted) throw abortReason(opts.signal);
    throw new StagedoorError({ code: "network_error", status: 0, detail: `${method} ${path}: the answer was cut: ${String(err)}`, cause: err });
  }
}

/**
 * Sends a request with the AuthClient's token, retrying network errors and
 * 5xx with backoff. A 401 "expired" gets one more try with a new token.
 */
export function sendAuthorized<T>(t: Transport, auth: AuthClient, method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let renewed = false;
  return withRetries(
    async () => {
      const token = await auth.getToken();
      try {
        return await send<T>(t, method, path, { token, body, signal });
      } catch (err) {
        if (renewed || !(err instanceof StagedoorError) || err.status !== 401 || err.code !== "expired" || !auth.canRefresh) throw err;
        renewed = true;
        auth.invalidate(token);
        return send<T>(t, method, path, { token: await auth.getToken(), body, signal });
      }
    },
    t.retry,
    t.log,
    `${method} ${path}`,
    signal,
  );
}
