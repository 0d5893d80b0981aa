import { Emitter } from "./emitter.js";
import { StagedoorError, closedError } from "./errors.js";
import { EventFollower } from "./events/follow.js";
import { segment, sendAuthorized } from "./http.js";
/** The heartbeat interval is this share of the lease, within bounds. */
const heartbeatShare = 3;
const minHeartbeat = 1_000;
const maxHeartbeat = 60_000;
const defaultLease = 30_000;
/**
 * When, by this device's clock, the token of session (as the server
 * answered it at answeredAt) is to be replaced: a lease before it expires,
 * when the server ends the session with its token (the continuous policy
 * sets token_expires_at). undefined while it waits or when the token is not
 * watched. Both times are the server's (lease_until is a lease past its
 * now), so the device's clock may differ from the server's.
 */
function renewalAt(session, answeredAt) {
    if (session.state !== "joined" || session.token_expires_at === undefined)
        return undefined;
    const left = Date.parse(session.token_expires_at) - Date.parse(session.lease_until);
    return Number.isFinite(left) ? answeredAt + left : undefined;
}
/**
 * A room as one user sees it: join() (resolving once joined, through the
 * waiting room when the token only allows asking), heartbeats kept
 * automatically, the session's token replaced a lease before it expires
 * when the server would end the session with it (the continuous policy), the user's own producing and raised hands, moderation of
 * others, and the room's events followed with resume.
 */
export class Room extends Emitter {
    name;
    ctx;
    log;
    snap;
    sessions = new Map();
    /** Pending raised hands by id, in the order they were raised. */
    requests = new Map();
    /** Sessions an event changed while the room's view was being read. */
    touched;
    presence;
    joining;
    admission;
    /** Counts joins and leaves, so that an outdated join gives up. */
    generation = 0;
    constructor(name, ctx) {
        const log = ctx.log.child("room", name);
        super(log);
        this.name = name;
        this.ctx = ctx;
        this.log = log;
        this.snap = {
            name,
            state: "idle",
            session: undefined,
            permissions: [],
            role: undefined,
            participants: [],
            waiting: [],
            producers: [],
            requests: [],
            endReason: undefined,
            error: undefined,
        };
    }
    get state() {
        return this.snap.state;
    }
    /** The current snapshot; the same object until something changes. */
    getSnapshot = () => this.snap;
    /** Calls listener after each change; returns the function that stops it. */
    subscribe = (listener) => this.on("state", listener);
    /**
     * Joins the room. Resolves with the session once joined: at once with
     * room.join, or when a moderator admits the user with room.ask_join only
     * (the state is "waiting" meanwhile). Rejects with a StagedoorError:
     * "rejected" when a moderator turns the user away, the server's problem
     * otherwise (room_full, blocked, missing_permission, not_found, ...).
     */
    join() {
        if (this.snap.state === "joined" && this.snap.session !== undefined)
            return Promise.resolve(this.snap.session);
        if (this.joining !== undefined)
            return this.joining;
        const joining = this.runJoin(++this.generation).finally(() => {
            if (this.joining === joining)
                this.joining = undefined;
        });
        this.joining = joining;
        return joining;
    }
    /**
     * Follows the room without joining it, as a moderator does: who is in it,
     * who waits, who produces and which hands are raised, kept current from
     * the room's events (read from the room's first), with the moderation
     * calls below. The token needs a moderate.* permission in the room.
     * Resolves once the room's view is read; stop with leave(). Rejects with
     * the server's problem (not_admitted without moderate.*, not_found, ...).
     */
    async watch() {
        if (this.snap.state === "watching")
            return;
        const generation = ++this.generation;
        this.joining = undefined;
        await this.stopPresence();
        if (generation !== this.generation)
            throw closedError(`watching ${this.name}`);
        let auth;
        let view;
        try {
            auth = await this.ctx.auth();
            view = await sendAuthorized(this.ctx.transport, auth, "GET", `/v1/rooms/${segment(this.name)}`);
        }
        catch (e) {
            const err = StagedoorError.from(e);
            if (generation === this.generation)
                this.update({ state: "idle", error: err });
            throw err;
        }
        if (generation !== this.generation)
            throw closedError(`watching ${this.name}`);
        // The events, read from the room's first, bring every change since the
        // view was read (and the raised hands, which it does not show).
        this.sessions = new Map([...view.participants, ...view.waiting].map((v) => [v.session_id, v]));
        this.requests = new Map();
        this.presence = this.follow(auth);
        this.update({ state: "watching", session: undefined, endReason: undefined, error: undefined });
    }
    /** Leaves the room: stops heartbeats and the event stream, ends the session (when in it). */
    async leave() {
        this.generation++;
        this.joining = undefined;
        const session = this.snap.session;
        const presence = this.presence;
        const inRoom = this.snap.state === "joined" || this.snap.state === "waiting" || this.snap.state === "joining" || this.snap.state === "watching";
        this.settleAdmission(undefined, closedError(`joining ${this.name}`));
        await this.stopPresence();
        if (!inRoom)
            return;
        this.update({ state: "left", endReason: "left" });
        if (session === undefined || presence === undefined)
            return;
        try {
            await sendAuthorized(this.ctx.transport, presence.auth, "POST", this.sessionPath(session.session_id, "/leave"), {});
        }
        catch (err) {
            if (err instanceof StagedoorError && err.code === "session_ended")
                return;
            throw err;
        }
    }
    /** Starts producing source (camera, microphone, screen); 409 room_full when the room's producer slots are taken. */
    async produce(source) {
        return this.own(await this.ownCall("/produce", { source }));
    }
    async unproduce(source) {
        return this.own(await this.ownCall("/unproduce", { source }));
    }
    /** Raises a hand: asks the moderators for a permission the session lacks. */
    requestPermission(permission) {
        return this.ownCall("/requests", { permission });
    }
    /** Lets a waiting session in (moderate.admit). */
    admit(sessionId) {
        return this.moderate("POST", sessionId, "/admit", {});
    }
    /** Turns a waiting session away (moderate.admit). */
    reject(sessionId) {
        return this.moderate("POST", sessionId, "/reject", {});
    }
    /** Stops sources of another session (moderate.mute). */
    mute(sessionId, sources) {
        return this.moderate("PATCH", sessionId, "", { mute: sources });
    }
    /** Gives another session a role, with its permissions or the ones given (moderate.permissions). */
    changeRole(sessionId, role, permissions) {
        return this.moderate("PATCH", sessionId, "", permissions === undefined ? { role } : { role, permissions });
    }
    /** Replaces another session's permissions (moderate.permissions). */
    setPermissions(sessionId, permissions) {
        return this.moderate("PATCH", sessionId, "", { permissions });
    }
    /** Ends another session (moderate.kick); with block, its participant cannot join again. */
    kick(sessionId, options = {}) {
        return this.moderate("DELETE", sessionId, options.block === true ? "?block=true" : "", undefined);
    }
    /** Grants a raised hand (moderate.permissions). */
    grantRequest(sessionId, requestId) {
        return this.moderate("POST", sessionId, `/requests/${segment(requestId)}/grant`, {});
    }
    /** Denies a raised hand (moderate.permissions). */
    denyRequest(sessionId, requestId) {
        return this.moderate("POST", sessionId, `/requests/${segment(requestId)}/deny`, {});
    }
    async runJoin(generation) {
        await this.stopPresence();
        if (generation !== this.generation)
            throw closedError(`joining ${this.name}`);
        this.sessions = new Map();
        this.requests = new Map();
        this.update({ state: "joining", session: undefined, endReason: undefined, error: undefined });
        let auth;
        let session;
        try {
            auth = await this.ctx.auth();
            session = await sendAuthorized(this.ctx.transport, auth, "POST", `/v1/rooms/${segment(this.name)}/join`, {});
        }
        catch (e) {
            const err = StagedoorError.from(e);
            if (generation === this.generation)
                this.update({ state: "idle", error: err });
            throw err;
        }
        if (generation !== this.generation) {
            // Left while the join was on its way: the session is not wanted.
            await sendAuthorized(this.ctx.transport, auth, "POST", this.sessionPath(session.session_id, "/leave"), {}).catch(() => undefined);
            throw closedError(`joining ${this.name}`);
        }
        this.sessions.set(session.session_id, session);
        this.startPresence(auth, session);
        this.update({ session, state: session.state === "waiting" ? "waiting" : "joining" });
        if (session.state === "waiting") {
            this.log.info("waiting to be admitted");
            return new Promise((resolve, reject) => {
                this.admission = { resolve, reject };
            });
        }
        await this.readView(auth);
        if (generation !== this.generation)
            throw closedError(`joining ${this.name}`);
        this.update({ state: "joined" });
        this.log.info("joined", session.session_id);
        return this.snap.session ?? session;
    }
    startPresence(auth, session) {
        const presence = this.follow(auth);
        this.presence = presence;
        const abort = presence.abort;
        const lease = Date.parse(session.lease_until) - Date.parse(session.created_at);
        const every = Math.min(maxHeartbeat, Math.max(minHeartbeat, (Number.isFinite(lease) && lease > 0 ? lease : defaultLease) / heartbeatShare));
        let renewAt = renewalAt(session, Date.now());
        const beat = async () => {
            presence.timer = undefined;
            try {
                if (renewAt !== undefined && Date.now() >= renewAt) {
                    await sendAuthorized(this.ctx.transport, auth, "POST", this.sessionPath(session.session_id, "/token"), undefined, abort.signal);
                    this.log.info("replaced the session's token before it expires");
                }
                const sent = Date.now();
                const own = await sendAuthorized(this.ctx.transport, auth, "POST", this.sessionPath(session.session_id, "/heartbeat"), {}, abort.signal);
                renewAt = renewalAt(own, sent);
                this.own(own);
            }
            catch (e) {
                if (abort.signal.aborted)
                    return;
                const err = StagedoorError.from(e);
                if (err.code === "session_ended") {
                    this.ownEnded("ended");
                    return;
                }
                if (!err.retryable) {
                    this.fail(err);
                    return;
                }
                this.log.warn("heartbeat or token renewal failed; trying again at the next beat", err.detail);
                this.emit("error", err);
            }
            if (!abort.signal.aborted)
                presence.timer = setTimeout(() => void beat(), every);
        };
        presence.timer = setTimeout(() => void beat(), every);
    }
    /** Starts following the room's events with auth. */
    follow(auth) {
        const follower = new EventFollower(this.ctx.transport, auth, this.name, {
            onEvent: (e) => this.onEvent(e),
            onEnd: (reason) => this.onStreamEnd(reason),
            onError: (err) => this.fail(err),
            onDrop: (err) => this.emit("error", err),
        }, this.log.child("events", this.name));
        follower.start();
        return { auth, abort: new AbortController(), follower, timer: undefined, stopped: undefined };
    }
    /** Stops heartbeats and the event stream; resolves once both are gone. */
    stopPresence() {
        const p = this.presence;
        if (p === undefined)
            return Promise.resolve();
        if (p.stopped === undefined) {
            clearTimeout(p.timer);
            p.abort.abort(closedError(`the presence in ${this.name}`));
            p.stopped = p.follower.stop().finally(() => {
                if (this.presence === p)
                    this.presence = undefined;
            });
        }
        return p.stopped;
    }
    onEvent(e) {
        this.emit("event", e);
        const s = e.data?.session;
        const mine = s !== undefined && s.session_id === this.snap.session?.session_id;
        if (s !== undefined) {
            this.touched?.add(s.session_id);
            if (e.type === "session.ended")
                this.sessions.delete(s.session_id);
            else
                this.sessions.set(s.session_id, s);
        }
        this.trackRequest(e);
        if (mine && e.type === "session.ended") {
            this.ownEnded(e.data?.reason ?? "ended");
            return;
        }
        if (e.type === "room.ended") {
            this.ownEnded("room_ended");
            return;
        }
        if (mine) {
            this.update({ session: s });
            if (e.type === "session.admitted" && this.snap.state === "waiting")
                void this.admitted();
            return;
        }
        this.update({});
    }
    /** Keeps the pending raised hands: raised, resolved, or gone with their session. */
    trackRequest(e) {
        const r = e.data?.request;
        if (e.type === "request.created" && r !== undefined && r.state === "pending")
            this.requests.set(r.id, r);
        else if (e.type === "request.resolved" && r !== undefined)
            this.requests.delete(r.id);
        else if (e.type === "session.ended" && e.session_id !== undefined) {
            for (const [id, pending] of this.requests) {
                if (pending.session_id === e.session_id)
                    this.requests.delete(id);
            }
        }
    }
    async admitted() {
        const p = this.presence;
        if (p !== undefined)
            await this.readView(p.auth);
        const session = this.snap.session;
        if (this.snap.state !== "waiting" || session === undefined)
            return;
        this.update({ state: "joined" });
        this.log.info("admitted", session.session_id);
        this.settleAdmission(session, undefined);
    }
    onStreamEnd(reason) {
        switch (reason) {
            case "session_ended":
                this.ownEnded(this.snap.endReason ?? "ended");
                return;
            case "room_ended":
                this.ownEnded("room_ended");
                return;
            case "token_expired":
                this.fail(new StagedoorError({ code: "expired", status: 401, detail: "the access token expired and could not be replaced" }));
                return;
            default:
                this.fail(new StagedoorError({ code: "revoked", status: 401, detail: `the event stream ended: ${reason}` }));
        }
    }
    /** The user's own session ended, for reason. */
    ownEnded(reason) {
        if (this.snap.state === "ended" || this.snap.state === "rejected" || this.snap.state === "left")
            return;
        void this.stopPresence();
        const rejected = reason === "rejected";
        this.log.info(`session ended: ${reason}`);
        this.update({ state: rejected ? "rejected" : "ended", endReason: reason });
        this.settleAdmission(undefined, new StagedoorError({
            code: rejected ? "rejected" : "session_ended",
            status: 0,
            detail: rejected ? `a moderator turned the user away from ${this.name}` : `the session in ${this.name} ended: ${reason}`,
        }));
    }
    /** Something failed for good: the session is over as far as the client can tell. */
    fail(err) {
        if (this.snap.state === "ended" || this.snap.state === "rejected" || this.snap.state === "left")
            return;
        void this.stopPresence();
        this.log.error(`giving up: ${err.code}`, err.detail);
        this.update({ state: "ended", endReason: err.code, error: err });
        this.settleAdmission(undefined, err);
        this.emit("error", err);
    }
    settleAdmission(session, err) {
        const a = this.admission;
        if (a === undefined)
            return;
        this.admission = undefined;
        if (err !== undefined)
            a.reject(err);
        else if (session !== undefined)
            a.resolve(session);
    }
    /** Reads who is in the room; what events changed meanwhile is kept. */
    async readView(auth) {
        this.touched = new Set();
        try {
            const view = await sendAuthorized(this.ctx.transport, auth, "GET", `/v1/rooms/${segment(this.name)}`);
            const next = new Map();
            for (const s of [...view.participants, ...view.waiting]) {
                if (!this.touched.has(s.session_id))
                    next.set(s.session_id, s);
            }
            for (const [id, s] of this.sessions) {
                if (this.touched.has(id))
                    next.set(id, s);
            }
            this.sessions = next;
        }
        catch (e) {
            const err = StagedoorError.from(e);
            this.log.warn("could not read who is in the room; events will tell", err.detail);
            this.emit("error", err);
        }
        finally {
            this.touched = undefined;
        }
    }
    /** Takes the user's own session as the server answered it. */
    own(session) {
        if (session.session_id === this.snap.session?.session_id) {
            this.sessions.set(session.session_id, session);
            this.update({ session });
        }
        return session;
    }
    async ownCall(action, body) {
        const session = this.snap.session;
        const p = this.presence;
        if (session === undefined || p === undefined) {
            throw new StagedoorError({ code: "not_joined", status: 0, detail: `not in room ${this.name}` });
        }
        return sendAuthorized(this.ctx.transport, p.auth, "POST", this.sessionPath(session.session_id, action), body);
    }
    async moderate(method, sessionId, action, body) {
        const auth = this.presence?.auth ?? (await this.ctx.auth());
        return sendAuthorized(this.ctx.transport, auth, method, this.sessionPath(sessionId, action), body);
    }
    sessionPath(id, action) {
        return `/v1/rooms/${segment(this.name)}/sessions/${segment(id)}${action}`;
    }
    update(change) {
        const next = { ...this.snap, ...change };
        const all = [...this.sessions.values()].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
        const session = next.session;
        this.snap = {
            ...next,
            permissions: session?.permissions ?? [],
            role: session?.role,
            participants: all.filter((s) => s.state === "joined"),
            waiting: all.filter((s) => s.state === "waiting"),
            producers: all.filter((s) => s.state === "joined" && s.sources.length > 0).map((s) => ({ session_id: s.session_id, participant: s.participant, sources: s.sources })),
            requests: [...this.requests.values()],
        };
        this.emit("state", this.snap);
    }
}
