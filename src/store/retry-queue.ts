/**
 * A small bounded in-process queue that runs each job until it succeeds: a failure is logged and
 * retried after a growing delay, never dropped. Bounded so a broken dependency (Redis away) makes
 * the receiver refuse new work (the platform then retries it later) instead of growing without end.
 */
import type { Logger } from "../logger.js";

export interface RetryQueueOptions {
  /** Jobs held at once (running or waiting to retry). */
  maxPending?: number;
  /** Delay before retry n (the last one repeats). */
  retryDelaysMs?: readonly number[];
}

export const DEFAULT_QUEUE_RETRY_DELAYS_MS = [200, 1_000, 5_000, 15_000, 30_000];

export class RetryQueue<T> {
  readonly #running = new Set<Promise<void>>();
  readonly #timers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  #stopped = false;
  readonly #maxPending: number;
  readonly #delays: readonly number[];

  constructor(
    private readonly run: (job: T) => Promise<void>,
    private readonly logger: Logger,
    private readonly describe: (job: T) => Record<string, unknown>,
    options: RetryQueueOptions = {},
  ) {
    this.#maxPending = options.maxPending ?? 1_000;
    this.#delays = options.retryDelaysMs ?? DEFAULT_QUEUE_RETRY_DELAYS_MS;
  }

  get pending(): number {
    return this.#running.size;
  }

  /** Queues a job; false when the queue is full or stopping (the caller refuses the work). */
  push(job: T): boolean {
    if (this.#stopped || this.#running.size >= this.#maxPending) return false;
    const task: Promise<void> = this.#attempt(job).finally(() => this.#running.delete(task));
    this.#running.add(task);
    return true;
  }

  /** Resolves when no job is left. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /** Stops retrying after `graceMs`; returns how many jobs were still unfinished (and are lost). */
  async stop(graceMs: number): Promise<number> {
    const deadline = new Promise<void>((r) => setTimeout(r, graceMs).unref());
    await Promise.race([this.idle(), deadline]);
    this.#stopped = true;
    const left = this.#running.size;
    for (const t of this.#timers) {
      clearTimeout(t.timer);
      t.wake();
    }
    if (left > 0) this.logger.error({ left }, "stopped with unprocessed webhook events");
    return left;
  }

  async #attempt(job: T): Promise<void> {
    // Later: the receiver answers before any processing starts.
    await new Promise<void>((r) => setImmediate(r));
    for (let attempt = 1; !this.#stopped; attempt++) {
      try {
        await this.run(job);
        if (attempt > 1)
          this.logger.info({ ...this.describe(job), attempt }, "webhook event processed after retry");
        return;
      } catch (error) {
        const delay = this.#delays[Math.min(attempt - 1, this.#delays.length - 1)] ?? 1_000;
        this.logger.warn(
          { ...this.describe(job), attempt, retryInMs: delay, err: { message: (error as Error).message } },
          "webhook event processing failed; will retry",
        );
        await this.#sleep(delay);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.#timers.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      entry.timer.unref();
      this.#timers.add(entry);
    });
  }
}
