import { decodeToken } from "./claims.js";
import { Emitter } from "./emitter.js";
import { StagedoorError, closedError } from "./errors.js";
import { Logger } from "./log.js";
import { defaultRetry, withRetries } from "./retry.js";
import { checkStorage } from "./storage.js";
const maxRefreshAhead = 60_000;
/**
 * Keeps a valid access token: getToken() returns it, refreshing ahead of
 * its expiry through the refresh callback, one refresh at a time however
 * many callers wait, with backoff and jitter on network errors and 5xx.
 * Alias: BaseAuthClient.
 */
export class AuthClient extends Emitter {
    log;
    refreshCallback;
    refreshAhead;
    retry;
    storage;
    storageKey;
    lifetime = new AbortController();
    held;
    inflight;
    failure;
    timer;
    closed = false;
    expiredNoticed;
    constructor(options) {
        const log = new Logger(options.logOptions, "auth");
        super(log);
        this.log = log;
        this.refreshCallback = options.refresh;
        this.refreshAhead = options.refreshAhead;
        this.retry = { ...defaultRetry, ...options.retry };
        this.storage = options.storage === undefined ? undefined : checkStorage(options.storage);
        this.storageKey = options.storageKey ?? "stagedoor.token";
        if (options.token !== undefined) {
            this.hold(options.token);
        }
        else {
            this.load();
        }
        if (this.held === undefined && this.refreshCallback === undefined) {
            throw new StagedoorError({ code: "invalid_request", status: 0, detail: "give a token, a refresh callback or both" });
        }
        this.schedule();
    }
    /** The token held now, if it has not expired. */
    get token() {
        return this.held !== undefined && Date.now() < this.held.expiresAt ? this.held.token : undefined;
    }
    /** The claims of the token held now. */
    get claims() {
        return this.held?.claims;
    }
    /** When the token held now expires, by this device's clock. */
    get expiresAt() {
        return this.held === undefined ? undefined : new Date(this.held.expiresAt);
    }
    get canRefresh() {
        return this.refreshCallback !== undefined && this.failure === undefined && !this.closed;
    }
    get isClosed() {
        return this.closed;
    }
    /**
     * A valid access token: the one held, or, within the refresh margin or
     * once expired, a new one. Rejects with a StagedoorError when none can be
     * had: the refresh failed for good (a 4xx such as 401 or 403: the same
     * error every time until setToken), kept failing (refresh_failed), or
     * there is no refresh callback (token_expired).
     */
    async getToken() {
        if (this.closed)
            throw closedError("the AuthClient");
        if (this.failure !== undefined)
            throw this.failure;
        const held = this.held;
        if (held !== undefined && Date.now() < held.refreshAt)
            return held.token;
        if (this.refreshCallback === undefined) {
            if (held !== undefined && Date.now() < held.expiresAt)
                return held.token;
            this.expire();
            throw new StagedoorError({ code: "token_expired", status: 0, detail: "the access token expired and there is no refresh callback" });
        }
        try {
            return await this.refreshNow();
        }
        catch (err) {
            const still = this.held;
            if (this.failure === undefined && !this.closed && still !== undefined && Date.now() < still.expiresAt) {
                this.log.warn("refresh failed; the current token is still valid", err);
                return still.token;
            }
            throw err;
        }
    }
    /** Uses token from now on (a user signed in again, say); clears a failure. */
    setToken(token) {
        if (this.closed)
            throw closedError("the AuthClient");
        this.hold(token);
        this.failure = undefined;
        this.schedule();
        this.emit("token.refreshed", { token, expiresAt: new Date(this.held.expiresAt) });
    }
    /**
     * Tells the client the server refused token as expired: the next
     * getToken() gets a new one. A token no longer held is ignored.
     */
    invalidate(token) {
        if (this.held?.token !== token)
            return;
        this.held.refreshAt = 0;
        this.held.expiresAt = 0;
        this.persist();
        if (this.refreshCallback === undefined)
            this.expire();
    }
    /** Stops the refresh timer and any refresh in flight; getToken() rejects from now on. */
    close() {
        if (this.closed)
            return;
        this.closed = true;
        clearTimeout(this.timer);
        this.timer = undefined;
        this.lifetime.abort(closedError("the AuthClient"));
    }
    /** Forgets the token, in memory and in the storage. */
    clear() {
        this.held = undefined;
        clearTimeout(this.timer);
        this.timer = undefined;
        try {
            this.storage?.removeItem(this.storageKey);
        }
        catch (err) {
            this.log.warn("could not remove the token from the storage", err);
        }
    }
    refreshNow() {
        this.inflight ??= this.runRefresh().finally(() => {
            this.inflight = undefined;
        });
        return this.inflight;
    }
    async runRefresh() {
        const refresh = this.refreshCallback;
        const signal = this.lifetime.signal;
        try {
            const token = await withRetries(async () => {
                const t = await refresh({ signal });
                if (typeof t !== "string" || t === "") {
                    throw new StagedoorError({ code: "malformed", status: 0, detail: "the refresh callback returned no token" });
                }
                decodeToken(t);
                return t;
            }, this.retry, this.log, "token refresh", signal);
            if (this.closed)
                throw closedError("the AuthClient");
            this.hold(token);
            this.schedule();
            this.log.debug("token refreshed");
            this.emit("token.refreshed", { token, expiresAt: new Date(this.held.expiresAt) });
            return token;
        }
        catch (e) {
            if (this.closed)
                throw closedError("the AuthClient");
            const err = StagedoorError.from(e);
            if (!err.retryable) {
                this.failure = err;
                this.log.error("refresh refused; no more tries until setToken", err.detail);
                this.schedule(true);
                this.emit("error", err);
                throw err;
            }
            const failed = new StagedoorError({
                code: "refresh_failed",
                status: 0,
                detail: `the token could not be refreshed after ${this.retry.attempts} tries: ${err.detail}`,
                cause: err,
            });
            this.log.error(failed.detail);
            this.schedule(true);
            this.emit("error", failed);
            throw failed;
        }
    }
    /** Holds token: when it expires, by its lifetime and by this device's clock. */
    hold(token, storedExpiry) {
        const claims = decodeToken(token);
        const now = Date.now();
        const lifetime = Math.max(0, (claims.exp - claims.iat) * 1000);
        let expiresAt = storedExpiry ?? now + lifetime;
        const byClock = claims.exp * 1000;
        if (byClock > now) {
            // The clocks agree enough: a token minted a while ago expires sooner.
            expiresAt = Math.min(expiresAt, byClock);
        }
        else if (storedExpiry === undefined) {
            this.log.warn("by this device's clock the token has expired; going by its lifetime instead");
        }
        // Never more than half the lifetime ahead, or each new token would be due at once.
        const ahead = this.refreshAhead === undefined ? Math.min(maxRefreshAhead, lifetime / 5) : Math.min(this.refreshAhead, lifetime / 2);
        this.held = { token, claims, expiresAt, refreshAt: expiresAt - ahead };
        this.persist();
    }
    load() {
        if (this.storage === undefined)
            return;
        try {
            const raw = this.storage.getItem(this.storageKey);
            if (raw === null)
                return;
            const saved = JSON.parse(raw);
            if (typeof saved.token === "string" && typeof saved.expiresAt === "number" && saved.expiresAt > Date.now()) {
                this.hold(saved.token, saved.expiresAt);
            }
        }
        catch (err) {
            this.log.warn("ignored an unreadable token in the storage", err);
        }
    }
    persist() {
        if (this.storage === undefined || this.held === undefined)
            return;
        try {
            this.storage.setItem(this.storageKey, JSON.stringify({ token: this.held.token, expiresAt: this.held.expiresAt }));
        }
        catch (err) {
            this.log.warn("could not keep the token in the storage", err);
        }
    }
    /**
     * Sets the one timer: to refresh ahead of expiry while a refresh can be
     * tried and none just failed, else to tell listeners when the token
     * expires (getToken() still tries to refresh on demand).
     */
    schedule(afterFailure = false) {
        clearTimeout(this.timer);
        this.timer = undefined;
        const held = this.held;
        if (this.closed || held === undefined)
            return;
        const refreshing = this.canRefresh && !afterFailure;
        const at = refreshing ? held.refreshAt : held.expiresAt;
        this.timer = setTimeout(() => {
            this.timer = undefined;
            if (refreshing) {
                this.refreshNow().catch(() => {
                    // Reported through the error event.
                });
            }
            else if (this.held === held) {
                // Timers may fire a little before the wall clock says so.
                held.expiresAt = Math.min(held.expiresAt, Date.now());
                held.refreshAt = Math.min(held.refreshAt, held.expiresAt);
                this.expire();
            }
        }, Math.max(0, at - Date.now()));
    }
    /** Tells listeners the held token expired, once per token. */
    expire() {
        const held = this.held;
        if (held === undefined || this.expiredNoticed === held.token)
            return;
        this.expiredNoticed = held.token;
        this.emit("token.expired", { token: held.token });
    }
}
/** The name the seeds use for AuthClient. */
export const BaseAuthClient = AuthClient;
