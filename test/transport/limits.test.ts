/** The per-key rate limiter, what each message costs, and the session table, on a fake clock. */
import type { JSONRPCMessage } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import type { Caller } from "../../src/transport/client-auth.js";
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
    close: async () => {},
  });

  it("caps per key and in total, counting reservations, with a Retry-After from the soonest idle expiry", () => {
    let now = 0;
    const table = new SessionTable({ maxPerKey: 2, maxTotal: 3, idleMs: 60_000 }, undefined, () => now);
    const first = table.admit("k1");
    const second = table.admit("k1");
    expect(first.ok && second.ok).toBe(true);
    // Two reservations in flight already fill k1's share.
    expect(table.admit("k1")).toMatchObject({ ok: false, scope: "key" });
    if (first.ok) first.release();
    table.add(session("s1", "k1", now));
    if (second.ok) second.release();
    table.add(session("s2", "k1", now));
    now = 20_000;
    expect(table.admit("k1")).toEqual({ ok: false, scope: "key", retryAfterSeconds: 40 });
    const third = table.admit("k2");
    expect(third.ok).toBe(true);
    expect(table.admit("k3")).toMatchObject({ ok: false, scope: "total" });
    if (third.ok) third.release();
    expect(table.admit("k3").ok).toBe(true);
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
});
