/**
 * The write memory (write-memory.ts) on a SharedStore, so an identical create sent to two
 * instances is claimed once and carries one idempotency key: the platform makes one record.
 */
import type { SharedStore } from "./shared-store.js";
import type { WriteMemoryStore } from "./write-memory.js";

export class SharedWriteStore implements WriteMemoryStore {
  constructor(
    private readonly store: SharedStore,
    /** `okmcp:<tenant>:<module>`: resolved per call, since whoami is read after construction. */
    private readonly namespace: () => string,
  ) {}

  get(fingerprint: string) {
    return this.store.get(this.#key(fingerprint));
  }

  setIfAbsent(fingerprint: string, value: string, ttlMs: number) {
    return this.store.setIfAbsent(this.#key(fingerprint), value, ttlMs);
  }

  replaceIf(fingerprint: string, expected: string, value: string, ttlMs: number) {
    return this.store.replaceIf(this.#key(fingerprint), expected, value, ttlMs);
  }

  deleteIf(fingerprint: string, expected: string) {
    return this.store.deleteIf(this.#key(fingerprint), expected);
  }

  #key(fingerprint: string): string {
    // The fingerprint is hex (sha256): safe as a key segment.
    return `${this.namespace()}:writes:${fingerprint}`;
  }
}
