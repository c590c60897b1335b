/**
 * The in-process SharedStore: right for one instance (and for tests that run two servers in one
 * process against one store object). Expired keys are swept lazily, with bounded work per write.
 */
import type { SharedStore } from "./shared-store.js";
import { MemoryWebhookQueue, type WebhookQueue, type WebhookQueueOptions } from "./webhook-queue.js";

const SWEEP_ABOVE = 10_000;

export class InMemorySharedStore implements SharedStore {
  readonly spansInstances = false;
  readonly #values = new Map<string, { value: string; expires: number }>();
  readonly #channels = new Map<string, Set<(message: string) => void>>();

  constructor(private readonly now: () => number = Date.now) {}

  async forget(key: string): Promise<void> {
    this.#values.delete(key);
  }

  async get(key: string): Promise<string | undefined> {
    return this.#live(key);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#put(key, value, ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.#live(key) !== undefined) return false;
    this.#put(key, value, ttlMs);
    return true;
  }

  async replaceIf(key: string, expected: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.#live(key) !== expected) return false;
    this.#put(key, value, ttlMs);
    return true;
  }

  async deleteIf(key: string, expected: string): Promise<void> {
    if (this.#live(key) === expected) this.#values.delete(key);
  }

  async publish(channel: string, message: string): Promise<void> {
    // Asynchronous like Redis: a publisher never runs its subscribers inside its own call stack.
    for (const listener of this.#channels.get(channel) ?? []) setImmediate(() => listener(message));
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    const set = this.#channels.get(channel) ?? new Set();
    set.add(listener);
    this.#channels.set(channel, set);
    return async () => {
      set.delete(listener);
      if (set.size === 0) this.#channels.delete(channel);
    };
  }

  webhookQueue(options: WebhookQueueOptions): WebhookQueue {
    return new MemoryWebhookQueue(this, options);
  }

  async close(): Promise<void> {
    this.#channels.clear();
  }

  #live(key: string): string | undefined {
    const entry = this.#values.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.#values.delete(key);
      return undefined;
    }
    return entry.value;
  }

  #put(key: string, value: string, ttlMs: number) {
    if (this.#values.size > SWEEP_ABOVE) {
      const now = this.now();
      for (const [k, v] of this.#values) if (v.expires <= now) this.#values.delete(k);
    }
    this.#values.set(key, { value, expires: this.now() + ttlMs });
  }
}
