/**
 * Webhook signatures of CONTRACT.md "Webhooks": lowercase hex HMAC-SHA256 of
 * `<X-Okta-Timestamp>.<raw body>` keyed with the webhook secret.
 *
 * Pure functions shared by the sandbox (which signs) and the MCP server's receiver (which verifies),
 * so both sides can never drift apart.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const WEBHOOK_HEADERS = {
  event: "x-okta-event",
  deliveryId: "x-okta-delivery-id",
  timestamp: "x-okta-timestamp",
  signature: "x-okta-signature",
} as const;

/** The contract's replay window: a timestamp more than 5 minutes away is refused. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const UNIX_SECONDS = /^\d{1,12}$/;

export function signWebhook(secret: string, timestamp: number | string, rawBody: string | Buffer): string {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(rawBody).digest("hex");
}

export interface VerifyWebhookInput {
  secret: string;
  /** The X-Okta-Timestamp header as received (unix seconds). */
  timestamp: string | number | undefined;
  /** The body exactly as received: re-serialised JSON would not match. */
  rawBody: string | Buffer;
  /** The X-Okta-Signature header as received. */
  signature: string | undefined;
  nowSeconds?: number;
  toleranceSeconds?: number;
}

export function verifyWebhookSignature(input: VerifyWebhookInput): boolean {
  const { secret, rawBody, nowSeconds = Date.now() / 1000 } = input;
  const toleranceSeconds = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const timestamp = input.timestamp === undefined ? "" : String(input.timestamp);
  if (!UNIX_SECONDS.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;

  // Shape check first: timingSafeEqual throws on unequal lengths, and non-hex input would
  // decode to a shorter buffer silently.
  const signature = (input.signature ?? "").trim().toLowerCase();
  if (!HEX_SHA256.test(signature)) return false;

  const expected = Buffer.from(signWebhook(secret, timestamp, rawBody), "hex");
  return timingSafeEqual(expected, Buffer.from(signature, "hex"));
}
