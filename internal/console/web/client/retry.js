import { StagedoorError, closedError } from "./errors.js";
export const defaultRetry = { attempts: 5, baseDelay: 250, maxDelay: 10_000 };
/**
 * The delay before retry number attempt (0 for the first): exponential,
 * capped, with jitter over its upper half so that clients failing together
 * do not come back together; never shorter than what the server asked for
 * with Retry-After, as far as the cap allows.
 */
export function backoff(attempt, opts, retryAfter = 0, random = Math.random) {
    const ceiling = Math.min(opts.maxDelay, opts.baseDelay * 2 ** Math.min(attempt, 30));
    const jittered = ceiling / 2 + random() * (ceiling / 2);
    return Math.min(opts.maxDelay, Math.max(jittered, retryAfter));
}
/** Resolves after ms, or rejects as soon as signal aborts; no timer outlives it. */
export function delay(ms, signal) {
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
export function abortReason(signal) {
    return signal?.reason ?? closedError("the operation");
}
/**
 * Calls fn until it succeeds, fails for good (an error that is not
 * retryable) or has failed opts.attempts times; waits with backoff in
 * between. onRetry hears of each failure followed by a retry.
 */
export async function withRetries(fn, opts, log, what, signal) {
    for (let attempt = 0;; attempt++) {
        try {
            return await fn(attempt);
        }
        catch (e) {
            if (signal?.aborted)
                throw abortReason(signal);
            const err = StagedoorError.from(e);
            if (!err.retryable || attempt + 1 >= opts.attempts)
                throw err;
            const wait = backoff(attempt, opts, err.retryAfter);
            log.debug(`${what} failed (${err.code}); retry ${attempt + 1} in ${Math.round(wait)} ms`, err.detail);
            await delay(wait, signal);
        }
    }
}
