/** The write memory's states, as one server or several sharing a store see them. */
import { describe, expect, it } from "vitest";
import { InMemorySharedStore } from "../../src/store/memory.js";
import { WriteInProgressError, WriteMemory } from "../../src/store/write-memory.js";
import { SharedWriteStore } from "../../src/store/write-store.js";

const shared = () => {
  const store = new InMemorySharedStore();
  return () => new WriteMemory(new SharedWriteStore(store, () => "okmcp:42:app"), { leaseMs: 200 });
};

describe("WriteMemory", () => {
  it("a first call has no earlier call; after its success a repeat replays the same key", async () => {
    const memory = shared()();
    const first = await memory.claim("fp", undefined);
    expect(first.earlier).toBeUndefined();
    await first.settle("succeeded");
    const again = await memory.claim("fp", undefined);
    expect(again).toMatchObject({ key: first.key, earlier: { state: "succeeded" } });
  });

  it("a refused call (4xx, or never sent) leaves nothing: the repeat gets a fresh key", async () => {
    const memory = shared()();
    const first = await memory.claim("fp", undefined);
    await first.settle("refused");
    const again = await memory.claim("fp", undefined);
    expect(again.earlier).toBeUndefined();
    expect(again.key).not.toBe(first.key);
  });

  it("an unknown outcome is completed under the same key", async () => {
    const memory = shared()();
    const first = await memory.claim("fp", undefined);
    await first.settle("unknown");
    const again = await memory.claim("fp", undefined);
    expect(again).toMatchObject({ key: first.key, earlier: { state: "unknown" } });
  });

  it("waits for an identical call in flight on another instance, then replays its success", async () => {
    const make = shared();
    const [a, b] = [make(), make()];
    const first = await a.claim("fp", undefined);
    const waiting = b.claim("fp", undefined);
    setTimeout(() => void first.settle("succeeded"), 60);
    expect(await waiting).toMatchObject({ key: first.key, earlier: { state: "succeeded" } });
  });

  it("a holder that never settles (crashed instance): after its lease the next call completes it", async () => {
    const make = shared();
    const crashed = await make().claim("fp", undefined);
    const next = await make().claim("fp", undefined);
    expect(next).toMatchObject({ key: crashed.key, earlier: { state: "unknown" } });
    // The stale holder settling late does not overwrite the new holder's entry.
    await crashed.settle("refused");
    await next.settle("succeeded");
    expect((await make().claim("fp", undefined)).earlier?.state).toBe("succeeded");
  });

  it("gives up waiting with WriteInProgressError when the call in flight outlasts the wait", async () => {
    const make = shared();
    await make().claim("fp", undefined);
    await expect(make().claim("fp", undefined, { maxWaitMs: 50 })).rejects.toBeInstanceOf(
      WriteInProgressError,
    );
  });

  it("the caller's own key is used as given", async () => {
    const claim = await shared()().claim("fp", "my-key-123456");
    expect(claim.key).toBe("my-key-123456");
  });
});
