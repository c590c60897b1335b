/** The shared sign / verify functions, checked against an independent HMAC. */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhookSignature } from "../../src/platform/webhook-signature.js";

const secret = "whsec_test_secret";
const body = '{"id":"1","event":"education.students.created"}';
const now = 1_790_000_000;
const reference = (ts: number | string, raw: string) =>
  createHmac("sha256", secret).update(`${ts}.${raw}`).digest("hex");

describe("webhook signatures", () => {
  it("signs as the reference's recipe: hex HMAC-SHA256 of `<timestamp>.<raw body>`", () => {
    expect(signWebhook(secret, now, body)).toBe(reference(now, body));
    expect(signWebhook(secret, String(now), Buffer.from(body))).toBe(reference(now, body));
  });

  it("verifies a good signature within the tolerance", () => {
    const signature = reference(now, body);
    expect(
      verifyWebhookSignature({ secret, timestamp: String(now), rawBody: body, signature, nowSeconds: now }),
    ).toBe(true);
    expect(
      verifyWebhookSignature({ secret, timestamp: now, rawBody: body, signature, nowSeconds: now + 299 }),
    ).toBe(true);
  });

  it.each([
    ["a tampered body", { rawBody: `${body} ` }],
    ["another secret", { secret: "other" }],
    ["a stale timestamp", { nowSeconds: now + 301 }],
    ["a future timestamp", { nowSeconds: now - 301 }],
    ["a non-numeric timestamp", { timestamp: "abc" }],
    ["a missing timestamp", { timestamp: undefined }],
    ["a non-hex signature", { signature: "z".repeat(64) }],
    ["a short signature", { signature: reference(now, body).slice(0, 62) }],
    ["a long signature", { signature: `${reference(now, body)}00` }],
    ["a missing signature", { signature: undefined }],
  ])("rejects %s", (_name, change) => {
    const input = {
      secret,
      timestamp: String(now) as string | number | undefined,
      rawBody: body,
      signature: reference(now, body) as string | undefined,
      nowSeconds: now,
      ...change,
    };
    expect(verifyWebhookSignature(input)).toBe(false);
  });
});
