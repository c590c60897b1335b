/**
 * The recent-write memory (tools/write-memory.ts) on a SharedStore, so an identical write sent to
 * two instances reuses one idempotency key and the platform replays the first result.
 */
import type { WriteMemoryStore } from "../tools/write-memory.js";
import type { SharedStore } from "./shared-store.js";

export class SharedWriteStore implements WriteMemoryStore {
  constructor(
    private readonly store: SharedStore,
    /** `okmcp:<tenant>:<module>`: resolved per call, since whoami is read after construction. */
    private readonly namespace: () => string,
  ) {}

  async get(fingerprint: string) {
    const raw = await this.store.get(this.#key(fingerprint));
    if (raw === undefined) return undefined;
    try {
      const parsed = JSON.parse(raw) as { key?: unknown; at?: unknown };
      if (typeof parsed.key === "string" && typeof parsed.at === "number")
        return { key: parsed.key, at: parsed.at };
    } catch {}
    return undefined;
  }

  async set(fingerprint: string, entry: { key: string; at: number }, ttlMs: number) {
    await this.store.set(this.#key(fingerprint), JSON.stringify(entry), ttlMs);
  }

  #key(fingerprint: string): string {
    // The fingerprint is hex (sha256): safe as a key segment.
    return `${this.namespace()}:writes:${fingerprint}`;
  }
}
