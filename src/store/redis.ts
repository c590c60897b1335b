/**
 * The SharedStore on Redis, for several instances behind a load balancer. `setIfAbsent` is
 * `SET key value NX PX ttl` (atomic: exactly one instance wins), values are `SET ... PX ttl`, fan-out
 * is Redis pub/sub on a second connection (a subscribed connection can issue no other command),
 * and accepted webhooks wait in a Redis Stream (redis-webhook-queue.ts).
 */
import { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import { RedisWebhookQueue } from "./redis-webhook-queue.js";
import type { SharedStore } from "./shared-store.js";
import type { RedisQueueSettings, WebhookQueue, WebhookQueueOptions } from "./webhook-queue.js";

/** Compare-and-set in one server-side step, so two instances can't both take over one write. */
const REPLACE_IF = `if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3]) return 1 end return 0`;
const DELETE_IF = `if redis.call("GET", KEYS[1]) == ARGV[1] then redis.call("DEL", KEYS[1]) end return 0`;

export interface RedisStoreOptions {
  url: string;
  logger: Logger;
  /** Fail a command after this long instead of queueing it forever while Redis is away. */
  commandTimeoutMs?: number;
  /** The webhook queue's knobs (visibility timeout, cap, a test's slow processing). */
  webhookQueue?: Partial<RedisQueueSettings>;
}

export class RedisSharedStore implements SharedStore {
  readonly spansInstances = true;
  readonly #client: Redis;
  #subscriber?: Redis;
  readonly #queueConnections = new Set<Redis>();
  readonly #channels = new Map<string, Set<(message: string) => void>>();

  constructor(private readonly options: RedisStoreOptions) {
    this.#client = this.#connect("commands");
  }

  /** Resolves once Redis answers, so a wrong REDIS_URL fails at start, not at the first webhook. */
  async ready(): Promise<void> {
    await this.#client.ping();
  }

  async forget(key: string): Promise<void> {
    await this.#client.del(key);
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#client.get(key)) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.#client.set(key, value, "PX", ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.#client.set(key, value, "PX", ttlMs, "NX")) === "OK";
  }

  async replaceIf(key: string, expected: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.#client.eval(REPLACE_IF, 1, key, expected, value, String(ttlMs))) === 1;
  }

  async deleteIf(key: string, expected: string): Promise<void> {
    await this.#client.eval(DELETE_IF, 1, key, expected);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#client.publish(channel, message);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    const subscriber = this.#subscriberConnection();
    let set = this.#channels.get(channel);
    if (!set) {
      set = new Set();
      this.#channels.set(channel, set);
      await subscriber.subscribe(channel);
    }
    set.add(listener);
    return async () => {
      set.delete(listener);
      if (set.size === 0 && this.#channels.get(channel) === set) {
        this.#channels.delete(channel);
        await subscriber.unsubscribe(channel).catch(() => {});
      }
    };
  }

  webhookQueue(options: WebhookQueueOptions): WebhookQueue {
    return new RedisWebhookQueue({
      ...this.options.webhookQueue,
      client: this.#client,
      connect: (role, commandTimeoutMs) => {
        const connection = this.#connect(role, commandTimeoutMs);
        this.#queueConnections.add(connection);
        return connection;
      },
      logger: options.logger,
    });
  }

  async close(): Promise<void> {
    // A queue's blocking reader has nothing to flush: cut it, or a read in progress holds close.
    for (const c of this.#queueConnections) c.disconnect();
    await Promise.all([this.#client, this.#subscriber].map((c) => c?.quit().catch(() => c.disconnect())));
  }

  #subscriberConnection(): Redis {
    if (!this.#subscriber) {
      this.#subscriber = this.#connect("subscriber");
      this.#subscriber.on("message", (channel: string, message: string) => {
        for (const listener of this.#channels.get(channel) ?? []) {
          try {
            listener(message);
          } catch (error) {
            this.options.logger.error({ err: error, channel }, "store subscriber failed");
          }
        }
      });
    }
    return this.#subscriber;
  }

  #connect(role: string, commandTimeoutMs = this.options.commandTimeoutMs ?? 2_000): Redis {
    const client = new Redis(this.options.url, {
      commandTimeout: commandTimeoutMs,
      // Give up on a command after a few reconnect attempts rather than holding it: callers retry.
      maxRetriesPerRequest: 3,
      lazyConnect: false,
    });
    // ioredis re-subscribes by itself after a reconnect; an error is logged (never the URL's password).
    client.on("error", (error: Error) =>
      this.options.logger.warn({ role, err: { message: error.message } }, "redis connection error"),
    );
    return client;
  }
}
