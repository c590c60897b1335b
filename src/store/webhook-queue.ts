/**
 * Where an accepted webhook waits until it is processed. Accepting is one step: mark the delivery
 * as seen (its delivery id and signature) and store it for processing, or say it was seen before,
 * or refuse it (full, store away), in which case nothing is kept and the receiver answers 503 so
 * the platform retries. Processing is what the receiver did after a 202 before there was a queue:
 * publish the envelope on the tenant's events channel, which every instance follows.
 *
 * Two implementations: in memory (`MemoryWebhookQueue`, one instance: a crash loses what is
 * queued) and Redis Streams (`redis-webhook-queue.ts`, several instances: what was accepted
 * survives the instance that accepted it). The SharedStore hands out the one that fits it.
 */
import type { Logger } from "../logger.js";
import { RetryQueue } from "./retry-queue.js";
import type { SharedStore } from "./shared-store.js";

export interface AcceptedDelivery {
  tenant: number;
  deliveryId: string;
  event: string;
  eventId: string;
  /** Keys that mark the delivery as seen (delivery id, signature), kept for `seenTtlMs`. */
  seenKeys: readonly string[];
  seenTtlMs: number;
  /** What processing publishes, and where. */
  channel: string;
  message: string;
}

export type Acceptance =
  | { status: "queued" }
  /** `by`: the index in `seenKeys` of the key seen before. */
  | { status: "duplicate"; by: number }
  | { status: "full" };

export interface WebhookQueue {
  /** Rejects when the store cannot be reached; then nothing is marked seen and nothing is kept. */
  accept(delivery: AcceptedDelivery): Promise<Acceptance>;
  /** Starts processing (with Redis: this instance joins the consumers). */
  start(): Promise<void>;
  /** Resolves when what this instance holds is processed (with Redis: the shared queue is empty). */
  idle(): Promise<void>;
  /** Stops after at most `graceMs` of finishing work in hand; returns how many deliveries it left. */
  stop(graceMs: number): Promise<number>;
}

/** What the receiver tells the queue it asks the store for. */
export interface WebhookQueueOptions {
  logger: Logger;
  /** Memory only: delays between attempts to publish (Redis retries after the visibility timeout). */
  retryDelaysMs?: readonly number[];
}

/** One instance: seen keys in the store, the queue in this process, publishing retried until it works. */
export class MemoryWebhookQueue implements WebhookQueue {
  readonly #queue: RetryQueue<AcceptedDelivery>;

  constructor(
    private readonly store: Pick<SharedStore, "setIfAbsent" | "forget" | "publish">,
    options: WebhookQueueOptions,
  ) {
    this.#queue = new RetryQueue(
      (d) => store.publish(d.channel, d.message),
      options.logger,
      (d) => ({ event: d.event, eventId: d.eventId, tenant: d.tenant }),
      options.retryDelaysMs ? { retryDelaysMs: options.retryDelaysMs } : {},
    );
  }

  async accept(delivery: AcceptedDelivery): Promise<Acceptance> {
    const forgetAll = () => Promise.all(delivery.seenKeys.map((k) => this.store.forget(k).catch(() => {})));
    let firstTime: boolean[];
    try {
      firstTime = await Promise.all(
        delivery.seenKeys.map((k) => this.store.setIfAbsent(k, "1", delivery.seenTtlMs)),
      );
    } catch (error) {
      // Give back any half-made claim, or the platform's retry would be taken for a duplicate.
      await forgetAll();
      throw error;
    }
    const by = firstTime.indexOf(false);
    if (by >= 0) return { status: "duplicate", by };
    if (this.#queue.push(delivery)) return { status: "queued" };
    // Full: give the claim back so the platform's retry is processed, not mistaken for a duplicate.
    await forgetAll();
    return { status: "full" };
  }

  async start(): Promise<void> {}

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  stop(graceMs: number): Promise<number> {
    return this.#queue.stop(graceMs);
  }
}

/** Ops and test knobs of the Redis queue, from the environment. */
export interface RedisQueueSettings {
  /** A delivery taken but not acknowledged this long (its instance died) is taken by another. */
  visibilityMs: number;
  /** Deliveries waiting at most; past it new ones are refused with 503 (never trimmed away). */
  maxLength: number;
  /** The stream's key (its consumer group is "processors"); tests give each its own. */
  stream: string;
  /** Test knob: runs after a delivery is taken and before it is processed (slow processing). */
  beforeProcess?: (taken: { reclaimed: boolean }) => Promise<void>;
}

export const DEFAULT_VISIBILITY_MS = 30_000;
export const DEFAULT_QUEUE_MAX_LENGTH = 10_000;

export const QUEUE_ENV = {
  visibilityMs: "OKTA_MCP_WEBHOOK_VISIBILITY_MS",
  maxLength: "OKTA_MCP_WEBHOOK_QUEUE_MAX",
  testProcessDelayMs: "OKTA_MCP_TEST_WEBHOOK_PROCESS_DELAY_MS",
} as const;

/** The knobs as set (pure); an unreadable value is an error naming its variable. */
export function redisQueueSettingsFromEnv(
  env: Record<string, string | undefined>,
): Partial<RedisQueueSettings> & { testProcessDelayMs?: number } {
  const read = (name: string, min: number): number | undefined => {
    const text = env[name]?.trim();
    if (!text) return undefined;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min)
      throw new Error(`${name} must be a whole number >= ${min}, got "${text}"`);
    return n;
  };
  const visibilityMs = read(QUEUE_ENV.visibilityMs, 100);
  const maxLength = read(QUEUE_ENV.maxLength, 1);
  const testProcessDelayMs = read(QUEUE_ENV.testProcessDelayMs, 0);
  return {
    ...(visibilityMs !== undefined ? { visibilityMs } : {}),
    ...(maxLength !== undefined ? { maxLength } : {}),
    ...(testProcessDelayMs ? { testProcessDelayMs } : {}),
  };
}
