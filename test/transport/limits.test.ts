/** The per-key rate limiter, what each message costs, and the session table, on a fake clock. */
import type { JSONRPCMessage } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import type { Caller } from "../../src/transport/client-auth.js";
import { DEFAULT_HTTP_LIMITS, httpLimitsWith } from "../../src/transport/context.js";
import { meteredIn, RateLimiter } from "../../src/transport/rate-limit.js";
import { type Session, SessionTable } from "../../src/transport/sessions.js";

describe("RateLimiter", () => {
  it("allows a burst, then the steady rate, per key", () => {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 60, burst: 3 }, () => now);
    expect([1, 2, 3].map(() => limiter.take("a").ok)).toEqual([true, true, true]);
    expect(limiter.take("a")).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take("b").ok).toBe(true);
    now += 1_000;
    expect(limiter.take("a").ok).toBe(true);
    expect(limiter.take("a").ok).toBe(false);
  });
  it("says how long to wait, and lets a batch larger than the burst through from a full bucket", () => {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 6, burst: 2 }, () => now);
    expect(limiter.take("a", 5).ok).toBe(true);
    expect(limiter.take("a")).toEqual({ ok: false, retryAfterSeconds: 10 });
    now += 10_000;
    expect(limiter.take("a").ok).toBe(true);
  });
});

describe("meteredIn", () => {
  const request = (id: number, method: string, params: Record<string, unknown> = {}) =>
    ({ jsonrpc: "2.0", id, method, params }) as JSONRPCMessage;
  it("charges what can reach the platform: tool calls, platform-backed reads, completions", () => {
    expect(
      meteredIn([
        request(1, "tools/call", { name: "whoami" }),
        request(2, "resources/read", { uri: "okta://students/4" }),
        request(3, "resources/read", { uri: "okta://whoami" }),
        request(4, "resources/read", { uri: "okta://scopes" }),
        request(5, "resources/read", { uri: "okta://events/recent" }),
        request(6, "resources/read", { uri: "okta://reports/runs/abc" }),
        request(7, "completion/complete", {}),
        request(8, "prompts/get", { name: "contact_guardian" }),
        request(9, "tools/list"),
        { jsonrpc: "2.0", method: "notifications/initialized" } as JSONRPCMessage,
      ]),
    ).toEqual({ requests: 3, completions: 1 });
  });
  it("gives back a refund, never past the burst", () => {
    const limiter = new RateLimiter({ perMinute: 6, burst: 2 }, () => 0);
    expect(limiter.take("a", 2).ok).toBe(true);
    limiter.refund("a", 2);
    limiter.refund("a", 2);
    expect(limiter.take("a", 2).ok).toBe(true);
    expect(limiter.take("a").ok).toBe(false);
  });
});

describe("SessionTable", () => {
  const caller = (keyId: string) => ({ keyId }) as Caller;
  const session = (id: string, keyId: string, lastActive: number): Session => ({
    id,
    kind: "streamable",
    caller: caller(keyId),
    transport: {} as Session["transport"],
    lastActive,
    pending: new Set(),
    handling: 0,
    close: async () => {},
  });

  it("caps per key and in total, counting reservations; refuses only when nothing can make room", () => {
    const table = new SessionTable({ maxPerKey: 2, maxTotal: 3, idleMs: 60_000 }, undefined, () => 0);
    const first = table.admit("k1");
    const second = table.admit("k1");
    expect(first.ok && second.ok).toBe(true);
    // Two reservations in flight already fill k1's share, and no session can make room.
    expect(table.admit("k1")).toEqual({ ok: false, scope: "key", limit: 2, retryAfterSeconds: 1 });
    // Both sessions opened, and busy.
    for (const [admission, id] of [
      [first, "s1"],
      [second, "s2"],
    ] as const) {
      if (admission.ok) admission.release();
      const s = session(id, "k1", 0);
      s.pending.add(1);
      table.add(s);
    }
    expect(table.admit("k1")).toMatchObject({ ok: false, scope: "key" });
    const third = table.admit("k2");
    expect(third.ok).toBe(true);
    expect(table.admit("k3")).toMatchObject({ ok: false, scope: "total", limit: 3 });
    if (third.ok) third.release();
    expect(table.admit("k3").ok).toBe(true);
  });

  it("at a cap, closes the least recently used idle session under it (the key's own, then any key's)", () => {
    const closed: [string, string][] = [];
    const table = new SessionTable(
      { maxPerKey: 2, maxTotal: 3, idleMs: 60_000 },
      (s, reason) => closed.push([s.id, reason]),
      () => 0,
    );
    const busy = session("busy", "k1", 0);
    busy.pending.add(1);
    const posting = session("posting", "k2", 0);
    posting.handling = 1;
    table.add(busy);
    table.add(session("k1-old", "k1", 5));
    table.add(posting);
    // k1 is full: its idle session goes, never the busy one (even though it is older).
    expect(table.admit("k1").ok).toBe(true);
    expect(closed).toEqual([["k1-old", "key cap"]]);
    expect(table.get("k1-old")).toBeUndefined();
    // Full in total (2 sessions and the reservation), every session busy: refused.
    table.add(session("k1-new", "k1", 9));
    busy.pending.clear();
    expect(table.admit("k3").ok).toBe(true);
    expect(closed.at(-1)).toEqual(["busy", "total cap"]);
  });

  it("a POST under way keeps its session from being closed until it is done", () => {
    let now = 0;
    const closed: string[] = [];
    const table = new SessionTable(
      { maxPerKey: 1, maxTotal: 5, idleMs: 1_000 },
      (s) => closed.push(s.id),
      () => now,
    );
    const s = session("s", "k", 0);
    table.add(s);
    const done = table.begin(s);
    now = 5_000;
    table.sweep();
    expect(table.admit("k").ok).toBe(false);
    done();
    now = 5_500;
    expect(table.admit("k").ok).toBe(true);
    expect(closed).toEqual(["s"]);
  });

  it("closes idle sessions but never one with a request in flight", () => {
    let now = 0;
    const closed: string[] = [];
    const table = new SessionTable(
      { maxPerKey: 5, maxTotal: 5, idleMs: 1_000 },
      (s) => closed.push(s.id),
      () => now,
    );
    const idle = session("idle", "k", 0);
    const busy = session("busy", "k", 0);
    busy.pending.add(1);
    table.add(idle);
    table.add(busy);
    now = 999;
    table.sweep();
    expect(closed).toEqual([]);
    now = 1_000;
    table.sweep();
    expect(closed).toEqual(["idle"]);
    expect(table.size).toBe(1);
    expect(table.inFlight).toBe(1);
  });

  it("counts a call once from the POST that carries it to its answer; each request of a batch", () => {
    const table = new SessionTable({ maxPerKey: 5, maxTotal: 5, idleMs: 1_000 });
    const s = session("s", "k", 0);
    table.add(s);
    const done = table.begin(s);
    expect(table.inFlight).toBe(1); // the POST, its message not read yet
    s.pending.add(1);
    expect(table.inFlight).toBe(1); // the same call, not a second one
    done();
    expect(table.inFlight).toBe(1); // answered later (legacy SSE: after the POST's 202)
    s.pending.delete(1);
    const batch = table.begin(s);
    for (const id of [2, 3, 4]) s.pending.add(id);
    expect(table.inFlight).toBe(3);
    batch();
    for (const id of [2, 3, 4]) s.pending.delete(id);
    expect(table.inFlight).toBe(0);
  });
});

describe("httpLimitsWith", () => {
  it("keeps the defaults, and gives a rate set alone a burst of 3 s at that rate", () => {
    expect(httpLimitsWith()).toEqual(DEFAULT_HTTP_LIMITS);
    expect(DEFAULT_HTTP_LIMITS.requestBurst).toBe(DEFAULT_HTTP_LIMITS.requestsPerMinute / 20);
    expect(httpLimitsWith({ requestsPerMinute: 600 })).toMatchObject({
      requestsPerMinute: 600,
      requestBurst: 30,
    });
    expect(httpLimitsWith({ completionsPerMinute: 10 })).toMatchObject({ completionBurst: 1 });
    expect(httpLimitsWith({ requestsPerMinute: 6, requestBurst: 4 })).toMatchObject({ requestBurst: 4 });
  });
});
