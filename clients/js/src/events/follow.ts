import type { AuthClient } from "../auth.js";
import { StagedoorError } from "../errors.js";
import { segment, urlOf, type Transport } from "../http.js";
import type { Logger } from "../log.js";
import { backoff, delay } from "../retry.js";
import type { RoomEvent, StreamEndReason } from "../types.js";
import { readEventStream } from "./sse.js";

export interface FollowHandlers {
  onEvent(event: RoomEvent): void;
  /** The stream ended for good: following again with the same credential would end the same way. */
  onEnd(reason: StreamEndReason): void;
  /** The server refused the stream for good (a 4xx other than 429), or no token could be had. */
  onError(err: StagedoorError): void;
  /** The stream dropped; it is opened again after wait ms, resuming after the last event. */
  onDrop?(err: StagedoorError, wait: number): void;
}

/**
 * Follows a room's event stream over fetch (the token goes in the
 * Authorization header, never in the URL), resuming with Last-Event-ID
 * after a dropped connection, with backoff, until stopped or ended: every
 * event is delivered once, in order. A stream that ends because its token
 * expired is opened again with a new one when the AuthClient can refresh.
 */
export class EventFollower {
  private readonly abort = new AbortController();
  private last: number;
  private running: Promise<void> | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly auth: AuthClient,
    private readonly room: string,
    private readonly handlers: FollowHandlers,
    private readonly log: Logger,
    after = 0,
  ) {
    this.last = after;
  }

  /** The seq of the last event delivered. */
  get lastEventId(): number {
    return this.last;
  }

  start(): void {
    this.running ??= this.run().catch((err: unknown) => {
      if (!this.abort.signal.aborted) this.handlers.onError(StagedoorError.from(err));
    });
  }

  /** Stops following and closes the stream; resolves once nothing is left running. */
  async stop(): Promise<void> {
    this.abort.abort(new StagedoorError({ code: "closed", status: 0, detail: "the event stream was stopped" }));
    await this.running;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const url = urlOf(this.transport, `/v1/rooms/${segment(this.room)}/events`);
    let attempt = 0;
    let renewed: string | undefined;
    while (!signal.aborted) {
      const token = await this.auth.getToken();
      let failure: StagedoorError;
      try {
        const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: "text/event-stream" };
        if (this.last > 0) headers["Last-Event-ID"] = String(this.last);
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
        } else if (res.body === null) {
          failure = new StagedoorError({ code: "network_error", status: 0, detail: "the event stream has no body" });
        } else {
          this.log.debug("event stream open", { after: this.last });
          let end: StreamEndReason | undefined;
          const before = this.last;
          await readEventStream(
            res.body,
            (m) => {
              if (m.event === "end") {
                end = (JSON.parse(m.data) as { reason: StreamEndReason }).reason;
                return false;
              }
              this.deliver(m.data);
              return true;
            },
            signal,
          );
          if (this.last > before) attempt = 0;
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
      } catch (err) {
        if (signal.aborted) return;
        failure = StagedoorError.from(err);
      }
      const wait = backoff(attempt++, this.transport.retry, failure.retryAfter);
      this.log.info(`event stream lost (${failure.detail}); again in ${Math.round(wait)} ms after event ${this.last}`);
      this.handlers.onDrop?.(failure, wait);
      await delay(wait, signal);
    }
  }

  /** Delivers an event once: a seq at or below the last delivered is a repeat. */
  private deliver(data: string): void {
    const event = JSON.parse(data) as RoomEvent;
    if (event.seq <= this.last) return;
    this.last = event.seq;
    this.handlers.onEvent(event);
  }
}
