import { AuthClient, type RefreshCallback } from "./auth.js";
import { anonymousSubject, decodeToken } from "./claims.js";
import { StagedoorError, closedError } from "./errors.js";
import { send, sendAuthorized, type DevelopmentKey, type Transport } from "./http.js";
import { Logger, type LogOptions } from "./log.js";
import { abortReason, backoff, defaultRetry, delay, type RetryOptions } from "./retry.js";
import { Room } from "./room.js";
import type { TokenStorage } from "./storage.js";
import type { GuestResponse, RoomInfo, RoomRequest } from "./types.js";

/** A user of your app, signed in: the token's subject is the id. */
export interface AuthenticatedUser {
  type?: "authenticated";
  id: string;
  name?: string;
  image?: string;
}

/**
 * A temporary user the server creates with a generated id, through an
 * invite-holding access token or a development key.
 */
export interface GuestUser {
  type: "guest";
  name: string;
  image?: string;
  /** Default "guest"; never ranked above the inviter's. */
  role?: string;
  /** Default: the inviter's rooms. */
  rooms?: string[];
  /** Default 600; never beyond the inviter's token. */
  ttlSeconds?: number;
}

/** A user with no id who only watches: the token must be bound to rooms. */
export interface AnonymousUser {
  type: "anonymous";
}

export type User = AuthenticatedUser | GuestUser | AnonymousUser;

/** Fetches an access token for the user, typically from your backend. */
export type TokenProvider = RefreshCallback;

/**
 * What connects a user: a token, a provider called again whenever the token
 * is about to expire, an AuthClient of your own, or, for guests only, a
 * development key.
 */
export type UserCredential = string | TokenProvider | AuthClient | DevelopmentKey;

/** The user a client is connected as. */
export interface ConnectedUser {
  type: "authenticated" | "guest" | "anonymous";
  /** The token's subject: the user id, the guest's generated id, or "!anon". */
  id: string;
  name: string | undefined;
  image: string | undefined;
}

export interface ClientOptions {
  /** How many times connectUser tries again after a failure that may pass. Default 3. */
  maxConnectUserRetries?: number;
  /** Called when connectUser gives up, with the last error and all of them. */
  onConnectUserError?: (err: StagedoorError, allErrors: StagedoorError[]) => void;
  logOptions?: LogOptions;
  retry?: RetryOptions;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Passed to the AuthClient the client creates; see AuthClientOptions.storage. */
  storage?: TokenStorage;
}

export interface StagedoorClientOptions {
  /** The stagedoor server, e.g. https://rtc.example.com. */
  baseUrl: string;
  /** Connects this user at once with token, tokenProvider or developmentKey. */
  user?: User;
  token?: string;
  tokenProvider?: TokenProvider;
  /** For guests: a development key (never a production key in a browser). */
  developmentKey?: DevelopmentKey;
  options?: ClientOptions;
}

const instances = new Map<string, StagedoorClient>();

/**
 * The client of one user: connectUser() with retries, rooms, and
 * disconnectUser(), which stops every timer, closes every stream and
 * leaves every session.
 */
export class StagedoorClient {
  readonly baseUrl: string;
  private readonly transport: Transport;
  private readonly options: ClientOptions;
  private readonly log: Logger;
  private readonly rooms = new Map<string, Room>();
  private connection: Promise<ConnectedUser> | undefined;
  /** Why the last connectUser failed, for the calls that needed it. */
  private connectError: StagedoorError | undefined;
  private connectAbort: AbortController | undefined;
  private connected: { user: ConnectedUser; auth: AuthClient; owned: boolean } | undefined;
  private instanceKey: string | undefined;

  /**
   * The client for baseUrl and user: the one created before, until its
   * disconnectUser(), else a new one.
   */
  static getOrCreateInstance(options: StagedoorClientOptions): StagedoorClient {
    const key = `${options.baseUrl}\n${userKey(options.user)}`;
    let client = instances.get(key);
    if (client === undefined) {
      client = new StagedoorClient(options);
      client.instanceKey = key;
      instances.set(key, client);
    }
    return client;
  }

  constructor(options: StagedoorClientOptions) {
    this.baseUrl = options.baseUrl;
    this.options = options.options ?? {};
    this.log = new Logger(this.options.logOptions, "client");
    this.transport = {
      baseUrl: options.baseUrl,
      fetch: this.options.fetch ?? ((input, init) => fetch(input, init)),
      retry: { ...defaultRetry, ...this.options.retry },
      log: this.log,
    };
    const credential = options.token ?? options.tokenProvider ?? options.developmentKey;
    if (options.user !== undefined && credential !== undefined) {
      this.connectUser(options.user, credential).catch(() => {
        // Reported to onConnectUserError and the log; join() rejects with it.
      });
    }
  }

  /** The connected user, if any. */
  get user(): ConnectedUser | undefined {
    return this.connected?.user;
  }

  /** The AuthClient of the connected user, if any. */
  get authClient(): AuthClient | undefined {
    return this.connected?.auth;
  }

  /**
   * Connects user: gets a first token (creating the guest, for a guest)
   * and checks that it names the user, trying again with backoff after
   * network errors and 5xx, up to maxConnectUserRetries times. Connecting
   * another user disconnects the current one first.
   */
  async connectUser(user: User, credential: UserCredential): Promise<ConnectedUser> {
    if (this.connection !== undefined) await this.disconnectUser();
    const abort = new AbortController();
    this.connectAbort = abort;
    const connection = this.connectWithRetries(user, credential, abort.signal);
    this.connection = connection;
    this.connectError = undefined;
    connection.catch((err: unknown) => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      this.connectError = StagedoorError.from(err);
    });
    return connection;
  }

  /**
   * Leaves every room (stopping heartbeats and event streams), stops the
   * token refresh and forgets the token. Nothing of the client is left
   * running afterwards.
   */
  async disconnectUser(): Promise<void> {
    this.connectAbort?.abort(closedError("the connection"));
    this.connectAbort = undefined;
    await this.connection?.catch(() => undefined);
    const rooms = [...this.rooms.values()];
    this.rooms.clear();
    const left = await Promise.allSettled(rooms.map((r) => r.leave()));
    for (const r of left) {
      if (r.status === "rejected") this.log.warn("could not leave a room; its session ends when its lease does", r.reason);
    }
    const c = this.connected;
    this.connected = undefined;
    this.connection = undefined;
    this.connectError = undefined;
    if (c?.owned) {
      c.auth.close();
      c.auth.clear();
    }
    if (this.instanceKey !== undefined && instances.get(this.instanceKey) === this) instances.delete(this.instanceKey);
    this.log.info("disconnected");
  }

  /** The room called name, as this user sees it. */
  room(name: string): Room {
    let room = this.rooms.get(name);
    if (room === undefined) {
      room = new Room(name, { transport: this.transport, auth: () => this.auth(), log: this.log });
      this.rooms.set(name, room);
    }
    return room;
  }

  /** Creates a room; the token needs room.create. */
  async createRoom(request: RoomRequest): Promise<RoomInfo> {
    return sendAuthorized<RoomInfo>(this.transport, await this.auth(), "POST", "/v1/rooms", request);
  }

  private async auth(): Promise<AuthClient> {
    if (this.connection === undefined) {
      throw this.connectError ?? new StagedoorError({ code: "not_connected", status: 0, detail: "connect a user first" });
    }
    await this.connection;
    if (this.connected === undefined) throw closedError("the connection");
    return this.connected.auth;
  }

  private async connectWithRetries(user: User, credential: UserCredential, signal: AbortSignal): Promise<ConnectedUser> {
    const errors: StagedoorError[] = [];
    const retries = this.options.maxConnectUserRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        const c = await this.connectOnce(user, credential, signal);
        if (signal.aborted) {
          if (c.owned) c.auth.close();
          throw abortReason(signal);
        }
        this.connected = c;
        this.log.info(`connected as ${c.user.type} ${c.user.id}`);
        return c.user;
      } catch (e) {
        if (signal.aborted) throw abortReason(signal);
        const err = StagedoorError.from(e);
        errors.push(err);
        if (!err.retryable || attempt >= retries) {
          this.log.error(`connectUser failed after ${attempt + 1} tries: ${err.detail}`);
          this.options.onConnectUserError?.(err, errors);
          throw err;
        }
        const wait = backoff(attempt, this.transport.retry, err.retryAfter);
        this.log.warn(`connectUser failed (${err.code}); again in ${Math.round(wait)} ms`);
        await delay(wait, signal);
      }
    }
  }

  private async connectOnce(user: User, credential: UserCredential, signal: AbortSignal): Promise<{ user: ConnectedUser; auth: AuthClient; owned: boolean }> {
    const authOptions = { retry: this.options.retry, logOptions: this.options.logOptions, storage: this.options.storage };
    if (user.type === "guest") {
      const body: Record<string, unknown> = { name: user.name };
      if (user.image !== undefined) body["image"] = user.image;
      if (user.role !== undefined) body["role"] = user.role;
      if (user.rooms !== undefined) body["rooms"] = user.rooms;
      if (user.ttlSeconds !== undefined) body["ttl_seconds"] = user.ttlSeconds;
      const by = isDevelopmentKey(credential) ? { key: credential } : { token: await tokenOf(credential, signal) };
      const g = await send<GuestResponse>(this.transport, "POST", "/v1/guests", { ...by, body, signal });
      const auth = new AuthClient({ ...authOptions, token: g.access_token });
      return { user: { type: "guest", id: g.user.id, name: g.user.name, image: g.user.image }, auth, owned: true };
    }
    if (isDevelopmentKey(credential)) {
      throw invalidUser("a development key connects guests only; give other users a token or a token provider");
    }
    const token = await tokenOf(credential, signal);
    const claims = decodeToken(token);
    if (user.type === "anonymous") {
      if (claims.sub !== anonymousSubject || claims.user?.type !== "anonymous") throw invalidUser("the token is not an anonymous user's");
      if (claims.grants?.rooms === undefined) throw invalidUser("an anonymous user needs a token bound to rooms");
    } else if (claims.sub !== user.id) {
      throw new StagedoorError({ code: "user_mismatch", status: 0, detail: `the token is for user ${JSON.stringify(claims.sub)}, not ${JSON.stringify(user.id)}` });
    }
    const connected: ConnectedUser = {
      type: user.type ?? "authenticated",
      id: claims.sub,
      name: (user.type === "anonymous" ? undefined : user.name) ?? claims.user?.name,
      image: (user.type === "anonymous" ? undefined : user.image) ?? claims.user?.image,
    };
    if (credential instanceof AuthClient) return { user: connected, auth: credential, owned: false };
    const refresh = typeof credential === "function" ? credential : undefined;
    return { user: connected, auth: new AuthClient({ ...authOptions, token, refresh }), owned: true };
  }
}

function isDevelopmentKey(c: UserCredential): c is DevelopmentKey {
  return typeof c === "object" && !(c instanceof AuthClient) && "apiKey" in c;
}

async function tokenOf(credential: Exclude<UserCredential, DevelopmentKey>, signal: AbortSignal): Promise<string> {
  if (typeof credential === "string") return credential;
  if (credential instanceof AuthClient) return credential.getToken();
  return credential({ signal });
}

function invalidUser(detail: string): StagedoorError {
  return new StagedoorError({ code: "invalid_user", status: 0, detail });
}

function userKey(user: User | undefined): string {
  if (user === undefined) return "";
  if (user.type === "guest") return `guest:${user.name}`;
  if (user.type === "anonymous") return "anonymous";
  return `user:${user.id}`;
}
