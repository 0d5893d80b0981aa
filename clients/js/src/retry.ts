import { StagedoorError, closedError } from "./errors.js";
import type { Logger } from "./log.js";

/** How failed calls are tried again. */
export interface RetryOptions {
  /** How many times a call is made at most, the first included. Default 5. */
  attempts?: number;
  /** The delay before the first retry, in ms, doubled each time. Default 250. */
  baseDelay?: number;
  /** The longest delay between two tries, in ms. Default 10 000. */
  maxDelay?: number;
}

export const defaultRetry: Required<RetryOptions> = { attempts: 5, baseDelay: 250, maxDelay: 10_000 };

/**
 * The delay before retry number attempt (0 for the first): exponential,
 * capped, with jitter over its upper half so that clients failing together
 * do not come back together; never shorter than what the server asked for
 * with Retry-After, as far as the cap allows.
 */
export function backoff(attempt: number, opts: Required<RetryOptions>, retryAfter = 0, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxDelay, opts.baseDelay * 2 ** Math.min(attempt, 30));
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.min(opts.maxDelay, Math.max(jittered, retryAfter));
}

/** Resolves after ms, or rejects as soon as signal aborts; no timer outlives it. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Why signal aborted, as the error to end with. */
export function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? closedError("the operation");
}

/**
 * Calls fn until it succeeds, fails for good (an error that is not
 * retryable) or has failed opts.attempts times; waits with backoff in
 * between. onRetry hears of each failure followed by a retry.
 */
export async function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  opts: Required<RetryOptions>,
  log: Logger,
  what: string,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (signal?.aborted) throw abortReason(signal);
      const err = StagedoorError.from(e);
      if (!err.retryable || attempt + 1 >= opts.attempts) throw err;
      const wait = backoff(attempt, opts, err.retryAfter);
      log.debug(`${what} failed (${err.code}); retry ${attempt + 1} in ${Math.round(wait)} ms`, err.detail);
      await delay(wait, signal);
    }
  }
}
