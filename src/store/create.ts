/** Picks the SharedStore: Redis when REDIS_URL is set, else memory (one instance). */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../logger.js";
import { InMemorySharedStore } from "./memory.js";
import type { SharedStore } from "./shared-store.js";
import { QUEUE_ENV, redisQueueSettingsFromEnv } from "./webhook-queue.js";

export async function createSharedStore(
  env: Record<string, string | undefined>,
  logger: Logger,
): Promise<SharedStore> {
  const url = env.REDIS_URL?.trim();
  if (!url) return new InMemorySharedStore();
  if (!/^rediss?:\/\//.test(url)) throw new Error("REDIS_URL must start with redis:// or rediss://");
  // Loaded only when asked for: ioredis costs start-up time every stdio launch would pay.
  const { RedisSharedStore } = await import("./redis.js");
  const { testProcessDelayMs, ...settings } = redisQueueSettingsFromEnv(env);
  if (testProcessDelayMs) {
    logger.warn(
      { ms: testProcessDelayMs },
      `${QUEUE_ENV.testProcessDelayMs} is set (a test knob): every webhook taken fresh waits before it is processed`,
    );
  }
  const webhookQueue = {
    ...settings,
    // Fresh deliveries only: one taken over from a dead instance is processed at once, so a test
    // that kills the slow instance sees the delivery arrive after the visibility timeout.
    ...(testProcessDelayMs
      ? {
          beforeProcess: async ({ reclaimed }: { reclaimed: boolean }) => {
            if (!reclaimed) await sleep(testProcessDelayMs);
          },
        }
      : {}),
  };
  const store = new RedisSharedStore({ url, logger: logger.child({ component: "redis" }), webhookQueue });
  try {
    await store.ready();
  } catch (error) {
    await store.close();
    // The URL may hold a password: name the variable, not its value.
    throw new Error(`REDIS_URL: Redis did not answer (${(error as Error).message})`);
  }
  logger.info("shared state in Redis (REDIS_URL)");
  return store;
}
