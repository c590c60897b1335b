/** The in-memory SharedStore: first-time semantics, TTLs on an injected clock, fan-out. */
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.js";
import { InMemorySharedStore } from "../../src/store/memory.js";
import { RetryQueue } from "../../src/store/retry-queue.js";
import { storeKey } from "../../src/store/shared-store.js";
import { WriteMemory } from "../../src/store/write-memory.js";
import { SharedWriteStore } from "../../src/store/write-store.js";

describe("InMemorySharedStore", () => {
  it("sets a key only when absent, until it expires", async () => {
    let now = 0;
    const store = new InMemorySharedStore(() => now);
    expect(await store.setIfAbsent("k", "1", 100)).toBe(true);
    expect(await store.setIfAbsent("k", "2", 100)).toBe(false);
    expect(await store.get("k")).toBe("1");
    now = 100;
    expect(await store.setIfAbsent("k", "1", 100)).toBe(true);
    await store.forget("k");
    expect(await store.setIfAbsent("k", "1", 100)).toBe(true);
  });

  it("keeps values with a TTL", async () => {
    let now = 0;
    const store = new InMemorySharedStore(() => now);
    await store.set("v", "x", 10);
    expect(await store.get("v")).toBe("x");
    now = 10;
    expect(await store.get("v")).toBeUndefined();
  });

  it("publishes to subscribers asynchronously, until they unsubscribe", async () => {
    const store = new InMemorySharedStore();
    const got: string[] = [];
    const off = await store.subscribe("c", (m) => got.push(m));
    await store.publish("c", "one");
    expect(got).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual(["one"]);
    await off();
    await store.publish("c", "two");
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual(["one"]);
  });

  it("builds namespaced keys and refuses separators inside a segment", () => {
    expect(storeKey("okmcp", 42, "writes", "abc")).toBe("okmcp:42:writes:abc");
    expect(() => storeKey("okmcp", "4:2")).toThrow();
  });

  it("backs the write memory: an identical write after a success reuses the key across memories", async () => {
    const store = new InMemorySharedStore();
    const a = new WriteMemory(new SharedWriteStore(store, () => "okmcp:42:app"));
    const b = new WriteMemory(new SharedWriteStore(store, () => "okmcp:42:app"));
    const first = await a.claim("fp", undefined);
    await first.settle("succeeded");
    const second = await b.claim("fp", undefined);
    expect(second).toMatchObject({ key: first.key, earlier: { state: "succeeded" } });
  });
});

describe("RetryQueue", () => {
  it("retries a failing job until it succeeds, and refuses past its bound", async () => {
    let calls = 0;
    const queue = new RetryQueue<string>(
      async () => {
        calls++;
        if (calls < 3) throw new Error("down");
      },
      silentLogger(),
      (job) => ({ job }),
      { maxPending: 1, retryDelaysMs: [1] },
    );
    expect(queue.push("a")).toBe(true);
    expect(queue.push("b")).toBe(false);
    await queue.idle();
    expect(calls).toBe(3);
    expect(queue.push("c")).toBe(true);
    await queue.idle();
  });
});
