/**
 * Outgoing webhooks: each created or updated record is POSTed, signed, to the configured URL, and
 * retried on a non-2xx answer or a network error on the contract's schedule (30 s, 2 min, 10 min,
 * 1 h, 6 h). Delivery is fire-and-forget: the API response never waits for it.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../logger.js";
import { signWebhook } from "../platform/webhook-signature.js";
import { isoWithOffset } from "./time.js";

export interface WebhookOptions {
  url: string;
  secret: string;
  /** Delays before each retry; the default is the contract's schedule. */
  retryDelaysMs?: number[];
}

export const DEFAULT_RETRY_DELAYS_MS = [30_000, 120_000, 600_000, 3_600_000, 21_600_000];
/** The contract asks receivers to answer within 10 seconds. */
const ATTEMPT_TIMEOUT_MS = 10_000;

export interface WebhookAttempt {
  deliveryId: string;
  eventId: string;
  event: string;
  /** 1 for the first try. */
  attempt: number;
  url: string;
  timestamp: number;
  signature: string;
  /** The receiver's status; absent on a network error. */
  status?: number;
  error?: string;
  ok: boolean;
  /** Whether another attempt is scheduled after this one. */
  willRetry: boolean;
}

interface Delivery {
  id: string;
  event: string;
  rawBody: string;
  eventId: string;
}

export class WebhookDispatcher {
  readonly attempts: WebhookAttempt[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  private readonly pending = new Set<Promise<void>>();
  private stopped = false;
  private readonly retryDelaysMs: number[];

  constructor(
    private readonly options: WebhookOptions,
    private readonly clock: () => number,
    private readonly logger: Logger,
  ) {
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  }

  /** Queues an event; the first attempt starts on a later tick. */
  emit(event: string, tenantId: number, data: Record<string, unknown>, utcOffsetMinutes?: number): void {
    if (this.stopped) return;
    const eventId = randomUUID();
    const rawBody = JSON.stringify({
      id: eventId,
      event,
      tenant_id: tenantId,
      created_at: isoWithOffset(this.clock(), utcOffsetMinutes),
      data,
    });
    this.schedule({ id: randomUUID(), event, rawBody, eventId }, 1, 0);
  }

  /** Resolves when no attempt is running (scheduled retries may still be waiting). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.inFlight) controller.abort();
    await Promise.allSettled([...this.pending]);
  }

  private schedule(delivery: Delivery, attempt: number, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const run = this.attempt(delivery, attempt).finally(() => this.pending.delete(run));
      this.pending.add(run);
    }, delayMs);
    // Retries hours away must not keep a test process (or the CLI after stop) alive.
    timer.unref();
    this.timers.add(timer);
  }

  private async attempt(delivery: Delivery, attempt: number): Promise<void> {
    // Signed per attempt: a receiver rejects timestamps older than 5 minutes, and retries come later.
    const timestamp = Math.floor(this.clock() / 1000);
    const signature = signWebhook(this.options.secret, timestamp, delivery.rawBody);
    const controller = new AbortController();
    this.inFlight.add(controller);
    const record: WebhookAttempt = {
      deliveryId: delivery.id,
      eventId: delivery.eventId,
      event: delivery.event,
      attempt,
      url: this.options.url,
      timestamp,
      signature,
      ok: false,
      willRetry: false,
    };
    try {
      const response = await fetch(this.options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "okta-partners-sandbox-webhooks",
          "x-okta-event": delivery.event,
          "x-okta-delivery-id": delivery.id,
          "x-okta-timestamp": String(timestamp),
          "x-okta-signature": signature,
        },
        body: delivery.rawBody,
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]),
      });
      await response.body?.cancel();
      record.status = response.status;
      record.ok = response.ok;
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.inFlight.delete(controller);
    }
    const nextDelay = this.retryDelaysMs[attempt - 1];
    record.willRetry = !record.ok && !this.stopped && nextDelay !== undefined;
    this.attempts.push(record);
    this.logger.debug(
      { event: delivery.event, attempt, status: record.status, ok: record.ok },
      "webhook attempt",
    );
    if (record.willRetry) this.schedule(delivery, attempt + 1, nextDelay!);
  }
}
