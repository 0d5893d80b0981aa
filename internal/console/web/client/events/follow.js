import { StagedoorError } from "../errors.js";
import { segment, urlOf } from "../http.js";
import { backoff, delay } from "../retry.js";
import { readEventStream } from "./sse.js";
/**
 * Follows a room's event stream over fetch (the token goes in the
 * Authorization header, never in the URL), resuming with Last-Event-ID
 * after a dropped connection, with backoff, until stopped or ended: every
 * event is delivered once, in order. A stream that ends because its token
 * expired is opened again with a new one when the AuthClient can refresh.
 */
export class EventFollower {
    transport;
    auth;
    room;
    handlers;
    log;
    abort = new AbortController();
    last;
    running;
    constructor(transport, auth, room, handlers, log, after = 0) {
        this.transport = transport;
        this.auth = auth;
        this.room = room;
        this.handlers = handlers;
        this.log = log;
        this.last = after;
    }
    /** The seq of the last event delivered. */
    get lastEventId() {
        return this.last;
    }
    start() {
        this.running ??= this.run().catch((err) => {
            if (!this.abort.signal.aborted)
                this.handlers.onError(StagedoorError.from(err));
        });
    }
    /** Stops following and closes the stream; resolves once nothing is left running. */
    async stop() {
        this.abort.abort(new StagedoorError({ code: "closed", status: 0, detail: "the event stream was stopped" }));
        await this.running;
    }
    async run() {
        const signal = this.abort.signal;
        const url = urlOf(this.transport, `/v1/rooms/${segment(this.room)}/events`);
        let attempt = 0;
        let renewed;
        while (!signal.aborted) {
            const token = await this.auth.getToken();
            let failure;
            try {
                const headers = { Authorization: `Bearer ${token}`, Accept: "text/event-stream" };
                if (this.last > 0)
                    headers["Last-Event-ID"] = String(this.last);
                const res = await this.transport.fetch(url, { headers, signal, cache: "no-store" });
                if (!res.ok) {
                    const err = await StagedoorError.fromResponse(res);
                    if (err.status === 401 && err.code === "expired" && this.auth.canRefresh && renewed !== token) {
                        renewed = token;
                        this.auth.invalidate(token);
                        continue;
                    }
                    if (!err.retryable) {
                        this.handlers.onError(err);
                        return;
                    }
                    failure = err;
                }
                else if (res.body === null) {
                    failure = new StagedoorError({ code: "network_error", status: 0, detail: "the event stream has no body" });
                }
                else {
                    this.log.debug("event stream open", { after: this.last });
                    let end;
                    const before = this.last;
                    await readEventStream(res.body, (m) => {
                        if (m.event === "end") {
                            end = JSON.parse(m.data).reason;
                            return false;
                        }
                        this.deliver(m.data);
                        return true;
                    }, signal);
                    if (this.last > before)
                        attempt = 0;
                    if (end === "token_expired" && this.auth.canRefresh && renewed !== token) {
                        renewed = token;
                        this.auth.invalidate(token);
                        continue;
                    }
                    if (end !== undefined) {
                        this.log.debug("event stream ended", end);
                        this.handlers.onEnd(end);
                        return;
                    }
                    failure = new StagedoorError({ code: "network_error", status: 0, detail: "the event stream dropped" });
                }
            }
            catch (err) {
                if (signal.aborted)
                    return;
                failure = StagedoorError.from(err);
            }
            const wait = backoff(attempt++, this.transport.retry, failure.retryAfter);
            this.log.info(`event stream lost (${failure.detail}); again in ${Math.round(wait)} ms after event ${this.last}`);
            this.handlers.onDrop?.(failure, wait);
            await delay(wait, signal);
        }
    }
    /** Delivers an event once: a seq at or below the last delivered is a repeat. */
    deliver(data) {
        const event = JSON.parse(data);
        if (event.seq <= this.last)
            return;
        this.last = event.seq;
        this.handlers.onEvent(event);
    }
}
