import { describe, expect, it } from "vitest";
import { SseParser } from "../src/events/sse.js";
import { backoff, defaultRetry } from "../src/retry.js";
import { Logger, StagedoorError, type LogLevel } from "../src/index.js";

describe("backoff", () => {
  const opts = { attempts: 5, baseDelay: 100, maxDelay: 1_000 };

  it("doubles, with jitter over the upper half, up to the cap", () => {
    expect([0, 1, 2, 3, 4, 5].map((a) => backoff(a, opts, 0, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([0, 1, 2, 3, 4, 5].map((a) => backoff(a, opts, 0, () => 1))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it("waits at least what Retry-After asks, within the cap", () => {
    expect(backoff(0, opts, 700, () => 0)).toBe(700);
    expect(backoff(0, opts, 5_000, () => 0)).toBe(1_000);
    expect(backoff(40, defaultRetry, 0, () => 1)).toBe(defaultRetry.maxDelay);
  });
});

describe("StagedoorError", () => {
  it("reads a problem, its Retry-After and whether to try again", async () => {
    const body = JSON.stringify({ status: 409, code: "room_full", detail: "no slot", title: "Conflict", type: "x" });
    const err = await StagedoorError.fromResponse(new Response(body, { status: 409, headers: { "Content-Type": "application/problem+json" } }));
    expect(err).toMatchObject({ status: 409, code: "room_full", detail: "no slot", retryable: false });
    const busy = await StagedoorError.fromResponse(new Response("<html>", { status: 503, headers: { "Retry-After": "2" } }));
    expect(busy).toMatchObject({ status: 503, code: "unavailable", retryAfter: 2_000, retryable: true });
  });

  it("takes a thrown error's status, else counts it as a network failure", () => {
    expect(StagedoorError.from(Object.assign(new Error("nope"), { status: 403 }))).toMatchObject({ status: 403, retryable: false });
    expect(StagedoorError.from(new TypeError("fetch failed"))).toMatchObject({ status: 0, code: "network_error", retryable: true });
  });
});

describe("SseParser", () => {
  it("reads events split anywhere, with any line ending", () => {
    const text = ": stream\r\n\r\nid: 1\r\nevent: session.joined\r\ndata: {\"seq\":1}\r\n\r\nid: 2\revent: x\rdata: a\rdata: b\r\rid: 3\nevent: end\ndata: {}\n\n";
    for (const size of [1, 2, 3, 7, text.length]) {
      const p = new SseParser();
      const got = [];
      for (let i = 0; i < text.length; i += size) got.push(...p.push(text.slice(i, i + size)));
      expect(got).toEqual([
        { id: "1", event: "session.joined", data: '{"seq":1}' },
        { id: "2", event: "x", data: "a\nb" },
        { id: "3", event: "end", data: "{}" },
      ]);
    }
  });

  it("skips comments, unknown fields and messages without data", () => {
    const p = new SseParser();
    expect(p.push(": ping\n\nretry: 10\nfoo: bar\n\nevent: lonely\n\ndata\n\n")).toEqual([{ id: undefined, event: "message", data: "" }]);
  });
});

describe("Logger", () => {
  it("writes per scope at the scope's level, else the default's, to the sink", () => {
    const lines: Array<[LogLevel, string, unknown[]]> = [];
    const sink = (level: LogLevel, message: string, ...args: unknown[]) => lines.push([level, message, args]);
    const root = new Logger({ default: { level: "warn", sink }, events: { level: "debug", sink } });
    const room = root.child("room", "demo");
    const events = root.child("events", "demo");
    room.info("not written");
    room.warn("written", 1);
    events.debug("also written");
    events.trace("not written either");
    root.child("auth").error("and this");
    expect(lines).toEqual([
      ["warn", "[stagedoor:room:demo] written", [1]],
      ["debug", "[stagedoor:events:demo] also written", []],
      ["error", "[stagedoor:auth] and this", []],
    ]);
    const quiet = new Logger({ default: { level: "silent", sink } });
    quiet.error("never");
    expect(lines).toHaveLength(3);
  });
});
