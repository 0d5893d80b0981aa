import { decodeToken, type TokenClaims } from "./claims.js";
import { Emitter } from "./emitter.js";
import { StagedoorError, closedError } from "./errors.js";
import { Logger, type LogOptions } from "./log.js";
import { defaultRetry, withRetries, type RetryOptions } from "./retry.js";
import { checkStorage, type TokenStorage } from "./storage.js";

/** What a refresh callback is given: a signal that aborts when the client closes. */
export interface RefreshContext {
  signal: AbortSignal;
}

/**
 * Fetches a new access token, typically from your backend's token
 * endpoint. Throw an error with the answer's `status` (a
 * {@link StagedoorError}, say): a 4xx other than 429 (401 and 403 above
 * all) stops the client from trying again; any other failure, a network
 * error included, is retried with backoff.
 */
export type RefreshCallback = (context: RefreshContext) => Promise<string>;

export interface AuthClientOptions {
  /** The access token to start with. */
  token?: string | undefined;
  /** How to get a new token before this one expires. */
  refresh?: RefreshCallback | undefined;
  /**
   * How long before expiry to refresh, in ms, at most half the token's
   * lifetime. Default: a fifth of the lifetime, at most a minute.
   */
  refreshAhead?: number | undefined;
  retry?: RetryOptions | undefined;
  /**
   * Keep the token here too, to survive a reload: sessionStorage, or a
   * storage of your own. localStorage is refused. Default: memory only.
   */
  storage?: TokenStorage | undefined;
  /** The storage key. Default "stagedoor.token". */
  storageKey?: string | undefined;
  logOptions?: LogOptions | undefined;
}

export interface AuthClientEvents {
  /** A new token is in use, from the refresh callback or setToken. */
  "token.refreshed": { token: string; expiresAt: Date };
  /** The token expired and no new one could be had. */
  "token.expired": { token: string };
  /** A refresh failed: for good (a 4xx such as 401 or 403) or after every retry. */
  error: StagedoorError;
}

interface Held {
  token: string;
  claims: TokenClaims;
  /** When it expires and when to refresh it, by this device's clock (ms). */
  expiresAt: number;
  refreshAt: number;
}

const maxRefreshAhead = 60_000;

/**
 * Keeps a valid access token: getToken() returns it, refreshing ahead of
 * its expiry through the refresh callback, one refresh at a time however
 * many callers wait, with backoff and jitter on network errors and 5xx.
 * Alias: BaseAuthClient.
 */
export class AuthClient extends Emitter<AuthClientEvents> {
  private readonly log: Logger;
  private readonly refreshCallback: RefreshCallback | undefined;
  private readonly refreshAhead: number | undefined;
  private readonly retry: Required<RetryOptions>;
  private readonly storage: TokenStorage | undefined;
  private readonly storageKey: string;
  private readonly lifetime = new AbortController();
  private held: Held | undefined;
  private inflight: Promise<string> | undefined;
  private failure: StagedoorError | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private expiredNoticed: string | undefined;

  constructor(options: AuthClientOptions) {
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
    } else {
      this.load();
    }
    if (this.held === undefined && this.refreshCallback === undefined) {
      throw new StagedoorError({ code: "invalid_request", status: 0, detail: "give a token, a refresh callback or both" });
    }
    this.schedule();
  }

  /** The token held now, if it has not expired. */
  get token(): string | undefined {
    return this.held !== undefined && Date.now() < this.held.expiresAt ? this.held.token : undefined;
  }

  /** The claims of the token held now. */
  get claims(): TokenClaims | undefined {
    return this.held?.claims;
  }

  /** When the token held now expires, by this device's clock. */
  get expiresAt(): Date | undefined {
    return this.held === undefined ? undefined : new Date(this.held.expiresAt);
  }

  get canRefresh(): boolean {
    return this.refreshCallback !== undefined && this.failure === undefined && !this.closed;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * A valid access token: the one held, or, within the refresh margin or
   * once expired, a new one. Rejects with a StagedoorError when none can be
   * had: the refresh failed for good (a 4xx such as 401 or 403: the same
   * error every time until setToken), kept failing (refresh_failed), or
   * there is no refresh callback (token_expired).
   */
  async getToken(): Promise<string> {
    if (this.closed) throw closedError("the AuthClient");
    if (this.failure !== undefined) throw this.failure;
    const held = this.held;
    if (held !== undefined && Date.now() < held.refreshAt) return held.token;
    if (this.refreshCallback === undefined) {
      if (held !== undefined && Date.now() < held.expiresAt) return held.token;
      this.expire();
      throw new StagedoorError({ code: "token_expired", status: 0, detail: "the access token expired and there is no refresh callback" });
    }
    try {
      return await this.refreshNow();
    } catch (err) {
      const still = this.held;
      if (this.failure === undefined && !this.closed && still !== undefined && Date.now() < still.expiresAt) {
        this.log.warn("refresh failed; the current token is still valid", err);
        return still.token;
      }
      throw err;
    }
  }

  /** Uses token from now on (a user signed in again, say); clears a failure. */
  setToken(token: string): void {
    if (this.closed) throw closedError("the AuthClient");
    this.hold(token);
    this.failure = undefined;
    this.schedule();
    this.emit("token.refreshed", { token, expiresAt: new Date(this.held!.expiresAt) });
  }

  /**
   * Tells the client the server refused token as expired: the next
   * getToken() gets a new one. A token no longer held is ignored.
   */
  invalidate(token: string): void {
    if (this.held?.token !== token) return;
    this.held.refreshAt = 0;
    this.held.expiresAt = 0;
    this.persist();
    if (this.refreshCallback === undefined) this.expire();
  }

  /** Stops the refresh timer and any refresh in flight; getToken() rejects from now on. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lifetime.abort(closedError("the AuthClient"));
  }

  /** Forgets the token, in memory and in the storage. */
  clear(): void {
    this.held = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      this.storage?.removeItem(this.storageKey);
    } catch (err) {
      this.log.warn("could not remove the token from the storage", err);
    }
  }

  private refreshNow(): Promise<string> {
    this.inflight ??= this.runRefresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async runRefresh(): Promise<string> {
    const refresh = this.refreshCallback!;
    const signal = this.lifetime.signal;
    try {
      const token = await withRetries(
        async () => {
          const t = await refresh({ signal });
          if (typeof t !== "string" || t === "") {
            throw new StagedoorError({ code: "malformed", status: 0, detail: "the refresh callback returned no token" });
          }
          decodeToken(t);
          return t;
        },
        this.retry,
        this.log,
        "token refresh",
        signal,
      );
      if (this.closed) throw closedError("the AuthClient");
      this.hold(token);
      this.schedule();
      this.log.debug("token refreshed");
      this.emit("token.refreshed", { token, expiresAt: new Date(this.held!.expiresAt) });
      return token;
    } catch (e) {
      if (this.closed) throw closedError("the AuthClient");
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
  private hold(token: string, storedExpiry?: number): void {
    const claims = decodeToken(token);
    const now = Date.now();
    const lifetime = Math.max(0, (claims.exp - claims.iat) * 1000);
    let expiresAt = storedExpiry ?? now + lifetime;
    const byClock = claims.exp * 1000;
    if (byClock > now) {
      // The clocks agree enough: a token minted a while ago expires sooner.
      expiresAt = Math.min(expiresAt, byClock);
    } else if (storedExpiry === undefined) {
      this.log.warn("by this device's clock the token has expired; going by its lifetime instead");
    }
    // Never more than half the lifetime ahead, or each new token would be due at once.
    const ahead = this.refreshAhead === undefined ? Math.min(maxRefreshAhead, lifetime / 5) : Math.min(this.refreshAhead, lifetime / 2);
    this.held = { token, claims, expiresAt, refreshAt: expiresAt - ahead };
    this.persist();
  }

  private load(): void {
    if (this.storage === undefined) return;
    try {
      const raw = this.storage.getItem(this.storageKey);
      if (raw === null) return;
      const saved = JSON.parse(raw) as { token?: unknown; expiresAt?: unknown };
      if (typeof saved.token === "string" && typeof saved.expiresAt === "number" && saved.expiresAt > Date.now()) {
        this.hold(saved.token, saved.expiresAt);
      }
    } catch (err) {
      this.log.warn("ignored an unreadable token in the storage", err);
    }
  }

  private persist(): void {
    if (this.storage === undefined || this.held === undefined) return;
    try {
      this.storage.setItem(this.storageKey, JSON.stringify({ token: this.held.token, expiresAt: this.held.expiresAt }));
    } catch (err) {
      this.log.warn("could not keep the token in the storage", err);
    }
  }

  /**
   * Sets the one timer: to refresh ahead of expiry while a refresh can be
   * tried and none just failed, else to tell listeners when the token
   * expires (getToken() still tries to refresh on demand).
   */
  private schedule(afterFailure = false): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const held = this.held;
    if (this.closed || held === undefined) return;
    const refreshing = this.canRefresh && !afterFailure;
    const at = refreshing ? held.refreshAt : held.expiresAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (refreshing) {
        this.refreshNow().catch(() => {
          // Reported through the error event.
        });
      } else if (this.held === held) {
        // Timers may fire a little before the wall clock says so.
        held.expiresAt = Math.min(held.expiresAt, Date.now());
        held.refreshAt = Math.min(held.refreshAt, held.expiresAt);
        this.expire();
      }
    }, Math.max(0, at - Date.now()));
  }

  /** Tells listeners the held token expired, once per token. */
  private expire(): void {
    const held = this.held;
    if (held === undefined || this.expiredNoticed === held.token) return;
    this.expiredNoticed = held.token;
    this.emit("token.expired", { token: held.token });
  }
}

/** The name the seeds use for AuthClient. */
export const BaseAuthClient = AuthClient;
export type BaseAuthClient = AuthClient;
