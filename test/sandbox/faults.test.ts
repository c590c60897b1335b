/** Fault injection does what it says: scripted faults in order, seeded random faults reproducibly. */
import { describe, expect, it } from "vitest";
import { FaultInjector } from "../../src/sandbox/faults.js";
import { useSandbox } from "./helpers.js";

describe("scripted faults", () => {
  const start = useSandbox();

  it("drop: the client sees a connection error, the record exists, a retry with the key replays it", async () => {
    const { sandbox, call } = await start();
    sandbox.injectFaults({ kind: "drop", match: { tool: "create_student" } });
    const before = sandbox.records(42, "students").length;
    const request = { json: { full_name: "Omar Dropped" }, headers: { "idempotency-key": "drop-1" } };
    await expect(call("/education/students", request)).rejects.toThrow();
    const stored = sandbox.records(42, "students");
    expect(stored).toHaveLength(before + 1);
    const retry = await call("/education/students", request);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body.data).toEqual(stored.at(-1));
    expect(sandbox.records(42, "students")).toHaveLength(before + 1);
    expect(sandbox.requests.map((r) => [r.status, r.dropped ?? false, r.replayed ?? false])).toEqual([
      [201, true, false],
      [201, false, true],
    ]);
  });

  it("faults are consumed one per matching request, in order; others pass untouched", async () => {
    const { sandbox, call } = await start();
    sandbox.injectFaults(
      { kind: "429", retryAfterSeconds: 7, match: { tool: "list_grades" } },
      { kind: "503", match: { method: "get" } },
    );
    const whoami = await call("/whoami");
    expect(whoami.status).toBe(503);
    const grades = await call("/education/grades");
    expect(grades.status).toBe(429);
    expect(grades.headers.get("retry-after")).toBe("7");
    expect(grades.body.error).toBe("rate_limited");
    expect((await call("/education/grades")).status).toBe(200);
    expect(sandbox.requests.map((r) => r.fault ?? null)).toEqual(["503", "429", null]);
  });

  it("delay holds the answer for delayMs", async () => {
    const { sandbox, call } = await start();
    sandbox.injectFaults({ kind: "delay", delayMs: 200 });
    const started = Date.now();
    expect((await call("/whoami")).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it("a 503 applies nothing and leaves the key free for the retry", async () => {
    const { sandbox, call } = await start();
    sandbox.injectFaults({ kind: "503", match: { tool: "create_student" } });
    const request = { json: { full_name: "Huda Retry" }, headers: { "idempotency-key": "503-key" } };
    expect((await call("/education/students", request)).status).toBe(503);
    const retry = await call("/education/students", request);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(sandbox.records(42, "students").filter((s) => s.full_name === "Huda Retry")).toHaveLength(1);
  });
});

describe("random faults", () => {
  const start = useSandbox();

  const run = async (faults: Parameters<typeof start>[0]) => {
    const { call } = await start(faults);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const response = await call("/education/subjects", { json: { name: `Subject ${i}`, code: `S-${i}` } });
      statuses.push(response.status);
    }
    return statuses;
  };

  it("failBeforeWrite is reproducible with a seed, and applies nothing", async () => {
    const first = await run({ faults: { failBeforeWrite: 0.5, seed: 7 } });
    const second = await run({ faults: { failBeforeWrite: 0.5, seed: 7 } });
    expect(first).toEqual(second);
    expect(first).toContain(503);
    expect(first).toContain(201);
    const other = await run({ faults: { failBeforeWrite: 0.5, seed: 8 } });
    expect(other).not.toEqual(first);
  });

  it("failBeforeWrite never touches reads", async () => {
    const { call } = await start({ faults: { failBeforeWrite: 1 } });
    expect((await call("/education/grades")).status).toBe(200);
    expect((await call("/education/subjects", { json: { name: "A", code: "A" } })).status).toBe(503);
  });

  it("rateLimited answers 429 with the configured Retry-After", async () => {
    const { call } = await start({ faults: { rateLimited: 1, retryAfterSeconds: 3 } });
    const response = await call("/whoami");
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("3");
    expect(response.headers.get("x-ratelimit-remaining")).toBe("0");
  });

  it("dropAfterWrite applies the write and drops the answer", async () => {
    const { sandbox, call } = await start({ faults: { dropAfterWrite: 1 } });
    const before = sandbox.records(42, "subjects").length;
    await expect(call("/education/subjects", { json: { name: "Gone", code: "GONE" } })).rejects.toThrow();
    expect(sandbox.records(42, "subjects")).toHaveLength(before + 1);
    expect((await call("/education/grades")).status).toBe(200);
  });

  it("latencyMs is added to every answer, errors included", async () => {
    const { call } = await start({ faults: { latencyMs: 120 } });
    const started = Date.now();
    expect((await call("/whoami", { token: null })).status).toBe(401);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it("refuses shares outside 0..1", () => {
    expect(() => new FaultInjector({ failBeforeWrite: 1.5 })).toThrow(/between 0 and 1/);
    expect(() => new FaultInjector({ rateLimited: -0.1 })).toThrow(RangeError);
  });
});
