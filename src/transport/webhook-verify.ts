/**
 * The receiver's decisions as pure functions: is a delivery authentic (headers, timestamp window,
 * HMAC against every configured secret), is its body a contract envelope, and which keys mark it
 * as seen. No I/O: webhooks.ts does the reading, remembering and answering.
 */

import { WebhookEnvelope } from "../platform/webhook-event.js";
import {
  DEFAULT_TOLERANCE_SECONDS,
  verifyWebhookSignature,
  WEBHOOK_HEADERS,
} from "../platform/webhook-signature.js";
import { parseJson } from "../text/json.js";

/** A secret the platform may sign with; `tenantIds` binds an installation's own secret to its tenant. */
export interface WebhookSecret {
  secret: string;
  /** Undefined: the deployment-wide secret (OKTA_WEBHOOK_SECRET), valid for any tenant. */
  tenantIds?: readonly number[];
}

export type Verified = {
  ok: true;
  deliveryId: string;
  signature: string;
  /** Tenants the matching secret(s) may speak for; undefined: any. */
  tenantIds?: readonly number[];
};
export type Refused = { ok: false; status: 400 | 401 | 422; error: string; message: string };

type Headers = Record<string, string | string[] | undefined>;

const header = (headers: Headers, name: string): string | undefined => {
  const v = headers[name];
  return (Array.isArray(v) ? v[0] : v)?.trim() || undefined;
};

/** The delivery id goes into store keys: a UUID in the contract, here any short plain token. */
const DELIVERY_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Checks the four headers, the timestamp window and the signature against every secret. */
export function verifyDelivery(
  headers: Headers,
  rawBody: Buffer,
  secrets: readonly WebhookSecret[],
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Verified | Refused {
  const deliveryId = header(headers, WEBHOOK_HEADERS.deliveryId);
  const timestamp = header(headers, WEBHOOK_HEADERS.timestamp);
  const signature = header(headers, WEBHOOK_HEADERS.signature);
  const event = header(headers, WEBHOOK_HEADERS.event);
  if (!deliveryId || !timestamp || !signature || !event) {
    return refuse(
      401,
      "missing_headers",
      "X-Okta-Event, X-Okta-Delivery-Id, X-Okta-Timestamp and X-Okta-Signature are required",
    );
  }
  if (!/^\d{1,12}$/.test(timestamp))
    return refuse(401, "bad_timestamp", "X-Okta-Timestamp is not unix seconds");
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) {
    return refuse(401, "stale_timestamp", `X-Okta-Timestamp is more than ${toleranceSeconds} s away`);
  }
  // Every secret is tried (no early exit): the answer's timing does not tell which one matched.
  const matched = secrets.filter((s) =>
    verifyWebhookSignature({ secret: s.secret, timestamp, rawBody, signature, nowSeconds, toleranceSeconds }),
  );
  if (matched.length === 0) return refuse(401, "bad_signature", "the signature does not match");
  if (!DELIVERY_ID.test(deliveryId)) return refuse(400, "bad_delivery_id", "X-Okta-Delivery-Id is malformed");
  const anyTenant = matched.some((s) => s.tenantIds === undefined);
  return {
    ok: true,
    deliveryId,
    signature: signature.toLowerCase(),
    tenantIds: anyTenant ? undefined : matched.flatMap((s) => s.tenantIds ?? []),
  };
}

/** The body as a contract envelope: 400 when not JSON, 422 when a field is missing or wrong. */
export function parseEnvelope(rawBody: Buffer): { ok: true; envelope: WebhookEnvelope } | Refused {
  const json = parseJson(rawBody.toString("utf8"));
  if (!json.ok) return refuse(400, "invalid_json", json.message);
  const parsed = WebhookEnvelope.safeParse(json.value);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join(".") || "(body)"))];
    return refuse(422, "invalid_envelope", `not a webhook envelope: check ${fields.join(", ")}`);
  }
  return { ok: true, envelope: parsed.data };
}

/** Whether the secret that signed a delivery may speak for the tenant its envelope names. */
export function secretCoversTenant(verified: Verified, tenantId: number): boolean {
  return verified.tenantIds === undefined || verified.tenantIds.includes(tenantId);
}

/**
 * The keys that mark a delivery as seen, namespaced by tenant. Both: the delivery id is what the
 * platform keeps across retries, but it is not signed, so a captured request replayed with a new
 * id is caught by its signature (which covers the timestamp and body).
 */
export function dedupeKeys(prefix: string, tenantId: number, verified: Verified): [string, string] {
  return [
    `${prefix}:${tenantId}:webhooks:delivery:${verified.deliveryId}`,
    `${prefix}:${tenantId}:webhooks:signature:${verified.signature}`,
  ];
}

export function eventsChannel(prefix: string, tenantId: number): string {
  return `${prefix}:${tenantId}:events`;
}

function refuse(status: Refused["status"], error: string, message: string): Refused {
  return { ok: false, status, error, message };
}
