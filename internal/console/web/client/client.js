import { AuthClient } from "./auth.js";
import { anonymousSubject, decodeToken } from "./claims.js";
import { StagedoorError, closedError } from "./errors.js";
import { send, sendAuthorized } from "./http.js";
import { Logger } from "./log.js";
import { abortReason, backoff, defaultRetry, delay } from "./retry.js";
import { Room } from "./room.js";
const instances = new Map();
/**
 * The client of one user: connectUser() with retries, rooms, and
 * disconnectUser(), which stops every timer, closes every stream and
 * leaves every session.
 */
export class StagedoorClient {
    baseUrl;
    transport;
    options;
    log;
    rooms = new Map();
    connection;
    /** Why the last connectUser failed, for the calls that needed it. */
    connectError;
    connectAbort;
    connected;
    instanceKey;
    /**
     * The client for baseUrl and user: the one created before, until its
     * disconnectUser(), else a new one.
     */
    static getOrCreateInstance(options) {
        const key = `${options.baseUrl}\n${userKey(options.user)}`;
        let client = instances.get(key);
        if (client === undefined) {
            client = new StagedoorClient(options);
            client.instanceKey = key;
            instances.set(key, client);
        }
        return client;
    }
    constructor(options) {
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
    get user() {
        return this.connected?.user;
    }
    /** The AuthClient of the connected user, if any. */
    get authClient() {
        return this.connected?.auth;
    }
    /**
     * Connects user: gets a first token (creating the guest, for a guest)
     * and checks that it names the user, trying again with backoff after
     * network errors and 5xx, up to maxConnectUserRetries times. Connecting
     * another user disconnects the current one first.
     */
    async connectUser(user, credential) {
        if (this.connection !== undefined)
            await this.disconnectUser();
        const abort = new AbortController();
        this.connectAbort = abort;
        const connection = this.connectWithRetries(user, credential, abort.signal);
        this.connection = connection;
        this.connectError = undefined;
        connection.catch((err) => {
            if (this.connection !== connection)
                return;
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
    async disconnectUser() {
        this.connectAbort?.abort(closedError("the connection"));
        this.connectAbort = undefined;
        await this.connection?.catch(() => undefined);
        const rooms = [...this.rooms.values()];
        this.rooms.clear();
        const left = await Promise.allSettled(rooms.map((r) => r.leave()));
        for (const r of left) {
            if (r.status === "rejected")
                this.log.warn("could not leave a room; its session ends when its lease does", r.reason);
        }
        const c = this.connected;
        this.connected = undefined;
        this.connection = undefined;
        this.connectError = undefined;
        if (c?.owned) {
            c.auth.close();
            c.auth.clear();
        }
        if (this.instanceKey !== undefined && instances.get(this.instanceKey) === this)
            instances.delete(this.instanceKey);
        this.log.info("disconnected");
    }
    /** The room called name, as this user sees it. */
    room(name) {
        let room = this.rooms.get(name);
        if (room === undefined) {
            room = new Room(name, { transport: this.transport, auth: () => this.auth(), log: this.log });
            this.rooms.set(name, room);
        }
        return room;
    }
    /** Creates a room; the token needs room.create. */
    async createRoom(request) {
        return sendAuthorized(this.transport, await this.auth(), "POST", "/v1/rooms", request);
    }
    async auth() {
        if (this.connection === undefined) {
            throw this.connectError ?? new StagedoorError({ code: "not_connected", status: 0, detail: "connect a user first" });
        }
        await this.connection;
        if (this.connected === undefined)
            throw closedError("the connection");
        return this.connected.auth;
    }
    async connectWithRetries(user, credential, signal) {
        const errors = [];
        const retries = this.options.maxConnectUserRetries ?? 3;
        for (let attempt = 0;; attempt++) {
            try {
                const c = await this.connectOnce(user, credential, signal);
                if (signal.aborted) {
                    if (c.owned)
                        c.auth.close();
                    throw abortReason(signal);
                }
                this.connected = c;
                this.log.info(`connected as ${c.user.type} ${c.user.id}`);
                return c.user;
            }
            catch (e) {
                if (signal.aborted)
                    throw abortReason(signal);
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
    async connectOnce(user, credential, signal) {
        const authOptions = { retry: this.options.retry, logOptions: this.options.logOptions, storage: this.options.storage };
        if (user.type === "guest") {
            const body = { name: user.name };
            if (user.image !== undefined)
                body["image"] = user.image;
            if (user.role !== undefined)
                body["role"] = user.role;
            if (user.rooms !== undefined)
                body["rooms"] = user.rooms;
            if (user.ttlSeconds !== undefined)
                body["ttl_seconds"] = user.ttlSeconds;
            const by = isDevelopmentKey(credential) ? { key: credential } : { token: await tokenOf(credential, signal) };
            const g = await send(this.transport, "POST", "/v1/guests", { ...by, body, signal });
            const auth = new AuthClient({ ...authOptions, token: g.access_token });
            return { user: { type: "guest", id: g.user.id, name: g.user.name, image: g.user.image }, auth, owned: true };
        }
        if (isDevelopmentKey(credential)) {
            throw invalidUser("a development key connects guests only; give other users a token or a token provider");
        }
        const token = await tokenOf(credential, signal);
        const claims = decodeToken(token);
        if (user.type === "anonymous") {
            if (claims.sub !== anonymousSubject || claims.user?.type !== "anonymous")
                throw invalidUser("the token is not an anonymous user's");
            if (claims.grants?.rooms === undefined)
                throw invalidUser("an anonymous user needs a token bound to rooms");
        }
        else if (claims.sub !== user.id) {
            throw new StagedoorError({ code: "user_mismatch", status: 0, detail: `the token is for user ${JSON.stringify(claims.sub)}, not ${JSON.stringify(user.id)}` });
        }
        const connected = {
            type: user.type ?? "authenticated",
            id: claims.sub,
            name: (user.type === "anonymous" ? undefined : user.name) ?? claims.user?.name,
            image: (user.type === "anonymous" ? undefined : user.image) ?? claims.user?.image,
        };
        if (credential instanceof AuthClient)
            return { user: connected, auth: credential, owned: false };
        const refresh = typeof credential === "function" ? credential : undefined;
        return { user: connected, auth: new AuthClient({ ...authOptions, token, refresh }), owned: true };
    }
}
function isDevelopmentKey(c) {
    return typeof c === "object" && !(c instanceof AuthClient) && "apiKey" in c;
}
async function tokenOf(credential, signal) {
    if (typeof credential === "string")
        return credential;
    if (credential instanceof AuthClient)
        return credential.getToken();
    return credential({ signal });
}
function invalidUser(detail) {
    return new StagedoorError({ code: "invalid_user", status: 0, detail });
}
function userKey(user) {
    if (user === undefined)
        return "";
    if (user.type === "guest")
        return `guest:${user.name}`;
    if (user.type === "anonymous")
        return "anonymous";
    return `user:${user.id}`;
}
