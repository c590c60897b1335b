/**
 * What several instances of this server must agree on, behind one small interface: keys seen
 * once (webhook delivery ids), values that expire (the recent-write memory), and messages fanned
 * out to every instance (webhook events, so the instance holding a session hears an event that
 * another instance received). In memory by default (one process); Redis when REDIS_URL is set.
 *
 * Keys are given whole by the callers, built with `storeKey` so every key is namespaced per
 * installation (`okmcp:<tenant>:<module>:...`) and every value carries a TTL: nothing needs a
 * cleanup job.
 */
import type { WebhookQueue, WebhookQueueOptions } from "./webhook-queue.js";

export interface SharedStore {
  /**
   * True when other processes see the same state (Redis). What only makes sense shared (report
   * runs any instance may page) lives here only then; else it stays in bounded process memory.
   */
  readonly spansInstances: boolean;
  /** Drops a key, e.g. a claim made for work that could not be queued. */
  forget(key: string): Promise<void>;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * Stores `value` only when `key` holds nothing; true for the one caller that stored (atomic
   * across instances). A key seen once (a webhook delivery id, an announced event) stores a mark.
   */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Replaces the value only while it is still `expected` (atomic compare-and-set). */
  replaceIf(key: string, expected: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes `key` only while it still holds `expected` (atomic). */
  deleteIf(key: string, expected: string): Promise<void>;
  /** Delivers `message` to every subscriber of `channel`, in this instance and the others. */
  publish(channel: string, message: string): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;
  /** Where accepted webhooks wait to be processed: in this process, or durable in Redis. */
  webhookQueue(options: WebhookQueueOptions): WebhookQueue;
  close(): Promise<void>;
}

export const KEY_PREFIX = "okmcp";

/** Key segments are joined with ':'; a segment may not hold one, so keys of two tenants never collide. */
export function storeKey(prefix: string, ...segments: (string | number)[]): string {
  for (const s of segments) {
    const text = String(s);
    if (text === "" || /[:\s]/.test(text)) throw new Error(`invalid store key segment "${text}"`);
  }
  return [prefix, ...segments].join(":");
}
