/**
 * Accepted webhooks in a Redis Stream with a consumer group, so a delivery that an instance took
 * and never finished (it died) is processed by another.
 *
 * - Accept (ACCEPT, one atomic script): a duplicate when a seen key exists; refused when the
 *   stream holds `maxLength` deliveries; else the seen keys are set (PX ttl) and the delivery is
 *   XADDed. The receiver answers 2xx only after this returned, so what the platform saw answered
 *   2xx is in Redis. No XADD MAXLEN: trimming drops the oldest entries, processed or not, and
 *   processed ones are deleted anyway (below), so the length is exactly what waits.
 * - Every instance is a consumer (a name unique to the process) that reads new entries
 *   (XREADGROUP >) and, every half visibility timeout, takes over entries any consumer has left
 *   unacknowledged longer than the visibility timeout (XAUTOCLAIM): those of an instance that
 *   died, and its own failed attempts.
 * - Process (PROCESS, one atomic script): only while the entry is still pending on this consumer
 *   (not taken over meanwhile), PUBLISH the envelope on the tenant's events channel, XACK and
 *   XDEL it. Hence "processed once": each accepted delivery is published exactly once whichever
 *   instance dies when (before the script nothing is published and the entry is taken over after
 *   the timeout; after it the entry is gone; a slow instance whose entry was taken over publishes
 *   nothing). Once ends at Redis PUBLISH: an instance whose subscriber connection is down at that
 *   moment misses the event, as with any pub/sub message.
 */

import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import {
  type Acceptance,
  type AcceptedDelivery,
  DEFAULT_QUEUE_MAX_LENGTH,
  DEFAULT_VISIBILITY_MS,
  type RedisQueueSettings,
  type WebhookQueue,
} from "./webhook-queue.js";

export const DEFAULT_QUEUE_STREAM = "okmcp:webhooks:queue";
const GROUP = "processors";
const BATCH = 16;

const ACCEPT = `for i = 2, #KEYS do
  if redis.call("EXISTS", KEYS[i]) == 1 then return {"duplicate", i - 2} end
end
if redis.call("XLEN", KEYS[1]) >= tonumber(ARGV[2]) then return {"full"} end
for i = 2, #KEYS do redis.call("SET", KEYS[i], "1", "PX", ARGV[1]) end
redis.call("XADD", KEYS[1], "*", unpack(ARGV, 3))
return {"queued"}`;

const PROCESS = `if #redis.call("XPENDING", KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1, ARGV[3]) == 0 then return 0 end
redis.call("PUBLISH", ARGV[4], ARGV[5])
redis.call("XACK", KEYS[1], ARGV[1], ARGV[2])
redis.call("XDEL", KEYS[1], ARGV[2])
return 1`;

/** A consumer name is dropped only while nothing is pending on it (DELCONSUMER would lose it). */
const RELEASE = `if #redis.call("XPENDING", KEYS[1], ARGV[1], "-", "+", 1, ARGV[2]) == 0 then
  redis.call("XGROUP", "DELCONSUMER", KEYS[1], ARGV[1], ARGV[2]) end return 0`;

interface Entry {
  id: string;
  fields: Record<string, string>;
}

/** `[id, [field, value, ...]]` as Redis returns a stream entry (pure; anything else is dropped). */
function parseEntries(raw: unknown): Entry[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((e) => {
    if (!Array.isArray(e) || typeof e[0] !== "string" || !Array.isArray(e[1])) return [];
    const flat = e[1] as string[];
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
    return [{ id: e[0], fields }];
  });
}

export interface RedisWebhookQueueOptions extends Partial<RedisQueueSettings> {
  /** Commands (accept, process, reclaim); shared with the store. */
  client: Redis;
  /** A connection of its own for the blocking read, with a command timeout past `blockMs`. */
  connect: (role: string, commandTimeoutMs: number) => Redis;
  logger: Logger;
}

export class RedisWebhookQueue implements WebhookQueue {
  readonly consumer = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #stream: string;
  readonly #visibilityMs: number;
  readonly #maxLength: number;
  readonly #reclaimEveryMs: number;
  readonly #blockMs: number;
  /** Deliveries taken and not finished here (a count: one entry may be in hand twice, see #reclaim). */
  #inHand = 0;
  #reader?: Redis;
  #loop?: Promise<void>;
  #stopping = false;
  #stopped = false;

  constructor(private readonly options: RedisWebhookQueueOptions) {
    this.#stream = options.stream ?? DEFAULT_QUEUE_STREAM;
    this.#visibilityMs = options.visibilityMs ?? DEFAULT_VISIBILITY_MS;
    this.#maxLength = options.maxLength ?? DEFAULT_QUEUE_MAX_LENGTH;
    this.#reclaimEveryMs = Math.max(50, Math.floor(this.#visibilityMs / 2));
    // The read wakes up at least this often, so reclaiming and stopping are never held by it.
    this.#blockMs = Math.min(this.#reclaimEveryMs, 5_000);
  }

  async accept(d: AcceptedDelivery): Promise<Acceptance> {
    const fields = {
      tenant: String(d.tenant),
      delivery: d.deliveryId,
      event: d.event,
      event_id: d.eventId,
      channel: d.channel,
      message: d.message,
    };
    const answer = (await this.options.client.eval(
      ACCEPT,
      1 + d.seenKeys.length,
      this.#stream,
      ...d.seenKeys,
      String(d.seenTtlMs),
      String(this.#maxLength),
      ...Object.entries(fields).flat(),
    )) as [string, number?];
    if (answer[0] === "duplicate") return { status: "duplicate", by: Number(answer[1]) };
    return { status: answer[0] === "full" ? "full" : "queued" };
  }

  /** Never fails: with Redis away the loop says so and keeps trying (accepting answers 503 meanwhile). */
  async start(): Promise<void> {
    await this.#createGroup().catch(() => {});
    await this.#pruneConsumers().catch(() => {});
    this.#reader = this.options.connect("webhook-queue", this.#blockMs + 5_000);
    this.#loop = this.#run();
  }

  /** With Redis: until the shared queue is empty and nothing is in hand here. */
  async idle(): Promise<void> {
    for (;;) {
      const waiting = await this.options.client.xlen(this.#stream).catch(() => 1);
      if (waiting === 0 && this.#inHand === 0) return;
      await sleep(25);
    }
  }

  async stop(graceMs: number): Promise<number> {
    this.#stopping = true;
    // No new reads. A read answered in transit leaves its entries pending here: taken over later.
    this.#reader?.disconnect();
    const deadline = Date.now() + graceMs;
    while (this.#inHand > 0 && Date.now() < deadline) await sleep(10);
    this.#stopped = true;
    const left = this.#inHand;
    if (left > 0) {
      this.options.logger.warn(
        { left, visibilityMs: this.#visibilityMs },
        "stopped with webhook deliveries in hand; another instance processes them after the visibility timeout",
      );
    } else {
      await this.#loop;
      await this.options.client.eval(RELEASE, 1, this.#stream, GROUP, this.consumer).catch(() => {});
    }
    return left;
  }

  async #run(): Promise<void> {
    const { logger } = this.options;
    let lastReclaim = 0;
    let failing = false;
    while (!this.#stopping) {
      try {
        if (Date.now() - lastReclaim >= this.#reclaimEveryMs) {
          lastReclaim = Date.now();
          await this.#reclaim();
        }
        const fresh = await this.#reader!.call(
          "XREADGROUP",
          "GROUP",
          GROUP,
          this.consumer,
          "COUNT",
          BATCH,
          "BLOCK",
          this.#blockMs,
          "STREAMS",
          this.#stream,
          ">",
        );
        if (failing) logger.info("webhook queue: Redis answers again");
        failing = false;
        const entries = Array.isArray(fresh) ? parseEntries((fresh[0] as unknown[] | undefined)?.[1]) : [];
        await Promise.all(entries.map((e) => this.#process(e, false)));
      } catch (error) {
        if (this.#stopping) return;
        const message = (error as Error).message;
        if (message.includes("NOGROUP")) await this.#createGroup().catch(() => {});
        if (!failing) {
          logger.error(
            { err: { message } },
            "webhook queue: Redis unreachable; accepted deliveries wait in Redis, new ones get 503",
          );
        }
        failing = true;
        await sleep(Math.min(1_000, this.#reclaimEveryMs));
      }
    }
  }

  /**
   * Takes over what any consumer left unacknowledged past the visibility timeout, this one's own
   * included (an attempt that failed, or one still running past the timeout: whichever runs its
   * PROCESS script first publishes, the other finds the entry gone and publishes nothing).
   */
  async #reclaim(): Promise<void> {
    let cursor = "0-0";
    // Bounded work per sweep; the next sweep carries on.
    for (let round = 0; round < 8; round++) {
      const answer = (await this.options.client.call(
        "XAUTOCLAIM",
        this.#stream,
        GROUP,
        this.consumer,
        this.#visibilityMs,
        cursor,
        "COUNT",
        BATCH,
      )) as [string, unknown];
      await Promise.all(parseEntries(answer[1]).map((e) => this.#process(e, true)));
      cursor = answer[0];
      if (cursor === "0-0") return;
    }
  }

  async #process(entry: Entry, reclaimed: boolean): Promise<void> {
    const { logger } = this.options;
    const { channel, message, delivery, tenant, event } = entry.fields;
    const where = { delivery, tenant: Number(tenant), event, reclaimed };
    this.#inHand++;
    try {
      await this.options.beforeProcess?.({ reclaimed });
      // Stopped meanwhile: leave it pending, another instance takes it after the timeout.
      if (this.#stopped) return;
      if (channel === undefined || message === undefined) {
        logger.error(where, "malformed entry in the webhook queue; dropped");
        await this.options.client.xack(this.#stream, GROUP, entry.id);
        return;
      }
      const done = await this.options.client.eval(
        PROCESS,
        1,
        this.#stream,
        GROUP,
        entry.id,
        this.consumer,
        channel,
        message,
      );
      if (done === 1) {
        if (reclaimed)
          logger.info(where, "webhook delivery taken over from a consumer that did not finish it; processed");
        else logger.debug(where, "webhook delivery processed");
      } else {
        logger.info(
          where,
          "webhook delivery no longer held here (taken over after the visibility timeout); not published again",
        );
      }
    } catch (error) {
      logger.warn(
        { ...where, err: { message: (error as Error).message }, retryInMs: this.#visibilityMs },
        "webhook delivery not processed; taken up again after the visibility timeout",
      );
    } finally {
      this.#inHand--;
    }
  }

  async #createGroup(): Promise<void> {
    // From the start of the stream ("0"): entries added before the group existed are processed too.
    await this.options.client
      .call("XGROUP", "CREATE", this.#stream, GROUP, "0", "MKSTREAM")
      .catch((error: Error) => {
        if (!error.message.includes("BUSYGROUP")) throw error;
      });
  }

  /** Consumer names of instances long gone (each process has its own) with nothing pending. */
  async #pruneConsumers(): Promise<void> {
    const staleMs = Math.max(10 * this.#visibilityMs, 600_000);
    const consumers = (await this.options.client.call(
      "XINFO",
      "CONSUMERS",
      this.#stream,
      GROUP,
    )) as unknown[];
    for (const raw of consumers) {
      if (!Array.isArray(raw)) continue;
      const info: Record<string, unknown> = {};
      for (let i = 0; i + 1 < raw.length; i += 2) info[String(raw[i])] = raw[i + 1];
      if (info.pending === 0 && Number(info.idle) > staleMs) {
        await this.options.client.eval(RELEASE, 1, this.#stream, GROUP, String(info.name));
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
