/**
 * `POST /webhooks/okta`: the platform's signed events in, MCP notifications out.
 *
 * The signature is the authentication (the platform has no API key of ours), so this route skips
 * the API key and the Host allow-list, and refuses any request carrying an Origin (the platform
 * never sends one; a browser page always does). Order of checks: size (413), signature and
 * timestamp (401), JSON (400), envelope (422), tenant served here (404), then the store's webhook
 * queue takes it: seen before (200, nothing done again), full or unreachable (503, nothing kept,
 * the platform retries), else 202 once it is stored (src/store/webhook-queue.ts: with Redis, in a
 * stream, so it outlives this instance). Processing publishes the event on the tenant's events
 * channel; every instance follows the channels of the tenants it serves and hands each event to
 * its installations' sessions.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Installation } from "../installation.js";
import type { Logger } from "../logger.js";
import { WebhookEnvelope } from "../platform/webhook-event.js";
import { DEFAULT_TOLERANCE_SECONDS } from "../platform/webhook-signature.js";
import { KEY_PREFIX, type SharedStore } from "../store/shared-store.js";
import type { Acceptance, WebhookQueue } from "../store/webhook-queue.js";
import { parseJson } from "../text/json.js";
import { lingerAfter, readBodyBytes } from "./guards/body.js";
import { sendJson } from "./guards/rpc.js";
import {
  dedupeKeys,
  eventsChannel,
  parseEnvelope,
  secretCoversTenant,
  verifyDelivery,
  type WebhookSecret,
} from "./webhook-verify.js";

export const WEBHOOK_PATH = "/webhooks/okta";

export interface WebhookLimits {
  /** Largest body accepted (413 past it); the platform's envelopes are a few KiB. */
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  /** How long delivery ids and signatures are remembered: past the platform's ~7 h of retries. */
  dedupeTtlMs: number;
  toleranceSeconds: number;
}

export const DEFAULT_WEBHOOK_LIMITS: Readonly<WebhookLimits> = {
  maxBodyBytes: 256 * 1024,
  bodyTimeoutMs: 10_000,
  dedupeTtlMs: 24 * 60 * 60_000,
  toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
};

/** OKTA_WEBHOOK_SECRET and, during a rotation, OKTA_WEBHOOK_SECRET_PREVIOUS: valid for any tenant. */
export function webhookSecretsFromEnv(env: Record<string, string | undefined>): WebhookSecret[] {
  return [env.OKTA_WEBHOOK_SECRET, env.OKTA_WEBHOOK_SECRET_PREVIOUS]
    .map((s) => s?.trim())
    .filter((s): s is string => Boolean(s))
    .map((secret) => ({ secret }));
}

export interface WebhookReceiverOptions {
  store: SharedStore;
  logger: Logger;
  /** Read per request: installations (and their secrets) change on SIGHUP and rotation. */
  secrets: () => readonly WebhookSecret[];
  servesTenant: (tenantId: number) => boolean;
  limits?: Partial<WebhookLimits>;
  /** In memory only: delays between attempts to publish an accepted event. */
  retryDelaysMs?: readonly number[];
  prefix?: string;
  now?: () => number;
}

export class WebhookReceiver {
  readonly #queue: WebhookQueue;
  readonly #limits: WebhookLimits;
  readonly #prefix: string;
  readonly #now: () => number;

  constructor(private readonly options: WebhookReceiverOptions) {
    this.#limits = { ...DEFAULT_WEBHOOK_LIMITS, ...options.limits };
    this.#prefix = options.prefix ?? KEY_PREFIX;
    this.#now = options.now ?? Date.now;
    this.#queue = options.store.webhookQueue({
      logger: options.logger,
      retryDelaysMs: options.retryDelaysMs,
    });
  }

  /** Starts processing accepted deliveries (with Redis: joins the instances that process them). */
  start(): Promise<void> {
    return this.#queue.start();
  }

  async handle(req: IncomingMessage, res: ServerResponse, closing: boolean): Promise<void> {
    const { logger } = this.options;
    if (req.method !== "POST") return answer(res, 405, "method_not_allowed", "POST only", { Allow: "POST" });
    if (req.headers.origin !== undefined) {
      return answer(res, 403, "forbidden", "webhooks come from the platform, not from a browser");
    }
    if (closing) return answer(res, 503, "shutting_down", "retry later", { "Retry-After": "30" });
    const secrets = this.options.secrets();
    if (secrets.length === 0) {
      return answer(res, 404, "webhooks_off", "no webhook secret is configured (OKTA_WEBHOOK_SECRET)");
    }
    const body = await readBodyBytes(req, this.#limits.maxBodyBytes, this.#limits.bodyTimeoutMs);
    if (!body.ok) {
      const close = { Connection: "close" };
      return answer(res, body.status, "bad_body", body.message, close, lingerAfter(req, body.status));
    }

    const verified = verifyDelivery(
      req.headers,
      body.bytes,
      secrets,
      this.#now() / 1000,
      this.#limits.toleranceSeconds,
    );
    if (!verified.ok) {
      logger.warn({ reason: verified.error }, "webhook refused");
      return answer(res, verified.status, verified.error, verified.message);
    }
    const parsed = parseEnvelope(body.bytes);
    if (!parsed.ok) {
      logger.warn({ reason: parsed.error, delivery: verified.deliveryId }, "webhook refused");
      return answer(res, parsed.status, parsed.error, parsed.message);
    }
    const envelope = parsed.envelope;
    const where = { delivery: verified.deliveryId, event: envelope.event, tenant: envelope.tenant_id };
    if (!secretCoversTenant(verified, envelope.tenant_id)) {
      // An installation's own secret speaks for its tenant only.
      logger.warn(where, "webhook signed with another tenant's secret; refused");
      return answer(res, 401, "bad_signature", "the signature does not match for this tenant");
    }
    if (!this.options.servesTenant(envelope.tenant_id)) {
      // Not remembered: if the installation is added (SIGHUP), the platform's next retry goes through.
      logger.warn(where, "webhook for a tenant this server does not serve; ignored");
      return answer(res, 404, "unknown_tenant", `no installation of tenant ${envelope.tenant_id} here`);
    }

    const seenKeys = dedupeKeys(this.#prefix, envelope.tenant_id, verified);
    let accepted: Acceptance;
    try {
      accepted = await this.#queue.accept({
        tenant: envelope.tenant_id,
        deliveryId: verified.deliveryId,
        event: envelope.event,
        eventId: envelope.id,
        seenKeys,
        seenTtlMs: this.#limits.dedupeTtlMs,
        channel: eventsChannel(this.#prefix, envelope.tenant_id),
        message: JSON.stringify(envelope),
      });
    } catch (error) {
      // Never a 2xx for a delivery not stored: the platform retries a 503.
      logger.error(
        { ...where, err: { message: (error as Error).message } },
        "webhook store unreachable; refused with 503 for a later retry",
      );
      return answer(res, 503, "store_unavailable", "retry later", { "Retry-After": "30" });
    }
    if (accepted.status === "duplicate") {
      logger.info(
        { ...where, by: accepted.by === 0 ? "delivery id" : "signature" },
        "duplicate webhook ignored",
      );
      return sendJson(res, 200, { status: "duplicate" });
    }
    if (accepted.status === "full") {
      logger.error(where, "webhook queue full; refused for a later retry");
      return answer(res, 503, "busy", "retry later", { "Retry-After": "30" });
    }
    logger.info(where, "webhook accepted");
    sendJson(res, 202, { status: "accepted" });
  }

  /** Resolves when every accepted event has been published (with Redis: the shared queue is empty). */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  stop(graceMs: number): Promise<number> {
    return this.#queue.stop(graceMs);
  }
}

function answer(
  res: ServerResponse,
  status: number,
  error: string,
  message: string,
  headers: Record<string, string> = {},
  endAfter?: Promise<void>,
): void {
  sendJson(res, status, { error, message }, headers, endAfter);
}

/**
 * Follows the store's event channels of the tenants served here and hands each event to every
 * installation of that tenant (whose sessions then notify their clients).
 */
export class EventFanout {
  #installations: readonly Installation[] = [];
  readonly #channels = new Map<number, Promise<() => Promise<void>>>();

  constructor(
    private readonly store: SharedStore,
    private readonly logger: Logger,
    private readonly prefix = KEY_PREFIX,
  ) {}

  /** (Re)sets what is served: subscribes to new tenants' channels, leaves the others'. */
  async follow(installations: readonly Installation[]): Promise<void> {
    this.#installations = installations;
    const tenants = new Set(installations.map((i) => i.whoami.tenant_id));
    for (const tenant of tenants) {
      if (this.#channels.has(tenant)) continue;
      this.#channels.set(
        tenant,
        this.store.subscribe(eventsChannel(this.prefix, tenant), (message) => this.#deliver(tenant, message)),
      );
    }
    for (const [tenant, unsubscribe] of this.#channels) {
      if (tenants.has(tenant)) continue;
      this.#channels.delete(tenant);
      await (await unsubscribe)();
    }
    await Promise.all(this.#channels.values());
  }

  async close(): Promise<void> {
    const all = [...this.#channels.values()];
    this.#channels.clear();
    await Promise.all(all.map(async (u) => (await u)().catch(() => {})));
  }

  #deliver(tenant: number, message: string) {
    const json = parseJson(message);
    const parsed = json.ok ? WebhookEnvelope.safeParse(json.value) : undefined;
    if (!parsed?.success || parsed.data.tenant_id !== tenant) {
      this.logger.warn({ tenant }, "malformed event on the store channel; ignored");
      return;
    }
    for (const installation of this.#installations) {
      if (installation.whoami.tenant_id === tenant) installation.events.add(parsed.data);
    }
  }
}
