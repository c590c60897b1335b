/** The receiver's pure decisions: authenticity, envelope, dedupe keys, and what an event touches. */
import { describe, expect, it } from "vitest";
import { planReload } from "../../src/installations-file.js";
import { eventVisibleWith, readScopeOfEvent, recordsTouched } from "../../src/platform/webhook-event.js";
import { signWebhook } from "../../src/platform/webhook-signature.js";
import { urisUpdatedBy } from "../../src/resources/events.js";
import {
  dedupeKeys,
  parseEnvelope,
  secretCoversTenant,
  verifyDelivery,
} from "../../src/transport/webhook-verify.js";

const SECRET = "whsec_current_0123456789";
const NOW = 1_750_000_000;
const body = Buffer.from(
  JSON.stringify({
    id: "evt-1",
    event: "education.students.created",
    tenant_id: 42,
    created_at: "2025-06-15T10:00:00+03:00",
    data: { student: { id: 7, name: "A" } },
  }),
);

function headers(over: Record<string, string | undefined> = {}, secret = SECRET, ts = NOW, raw = body) {
  return {
    "x-okta-event": "education.students.created",
    "x-okta-delivery-id": "0d5c2f9e-1111-4a4a-9b9b-123456789abc",
    "x-okta-timestamp": String(ts),
    "x-okta-signature": signWebhook(secret, ts, raw),
    ...over,
  };
}

describe("verifyDelivery", () => {
  const secrets = [{ secret: SECRET }];

  it("accepts a delivery signed with a configured secret", () => {
    const v = verifyDelivery(headers(), body, secrets, NOW);
    expect(v).toMatchObject({ ok: true, deliveryId: "0d5c2f9e-1111-4a4a-9b9b-123456789abc" });
  });

  it.each([["x-okta-event"], ["x-okta-delivery-id"], ["x-okta-timestamp"], ["x-okta-signature"]])(
    "refuses a missing %s (401)",
    (name) => {
      expect(verifyDelivery(headers({ [name]: undefined }), body, secrets, NOW)).toMatchObject({
        ok: false,
        status: 401,
        error: "missing_headers",
      });
    },
  );

  it("refuses a tampered body, a wrong secret, a truncated or non-hex signature (401)", () => {
    const tampered = Buffer.from(body.toString().replace('"A"', '"B"'));
    const sig = signWebhook(SECRET, NOW, body);
    for (const [h, b] of [
      [headers(), tampered],
      [headers({}, "another-secret-0123456789"), body],
      [headers({ "x-okta-signature": sig.slice(0, 63) }), body],
      [headers({ "x-okta-signature": `${sig.slice(0, 62)}zz` }), body],
      [headers({ "x-okta-signature": `sha256=${sig}` }), body],
    ] as const) {
      expect(verifyDelivery(h, b, secrets, NOW)).toMatchObject({ ok: false, status: 401 });
    }
  });

  it("accepts the previous secret during a rotation", () => {
    const both = [{ secret: SECRET }, { secret: "whsec_previous_0123456789" }];
    expect(verifyDelivery(headers({}, "whsec_previous_0123456789"), body, both, NOW).ok).toBe(true);
  });

  it("refuses timestamps more than 5 minutes away, in either direction", () => {
    for (const ts of [NOW - 301, NOW + 301]) {
      expect(verifyDelivery(headers({}, SECRET, ts), body, secrets, NOW)).toMatchObject({
        ok: false,
        status: 401,
        error: "stale_timestamp",
      });
    }
    expect(verifyDelivery(headers({}, SECRET, NOW - 299), body, secrets, NOW).ok).toBe(true);
    expect(verifyDelivery(headers({ "x-okta-timestamp": "12e5" }), body, secrets, NOW)).toMatchObject({
      error: "bad_timestamp",
    });
  });

  it("binds an installation's own secret to its tenant", () => {
    const own = [{ secret: SECRET, tenantIds: [7] }];
    const v = verifyDelivery(headers(), body, own, NOW);
    if (!v.ok) throw new Error("expected ok");
    expect(secretCoversTenant(v, 7)).toBe(true);
    expect(secretCoversTenant(v, 42)).toBe(false);
    const global = verifyDelivery(headers(), body, [{ secret: SECRET }], NOW);
    if (!global.ok) throw new Error("expected ok");
    expect(secretCoversTenant(global, 42)).toBe(true);
  });

  it("refuses a delivery id that would not be a safe key (400)", () => {
    expect(verifyDelivery(headers({ "x-okta-delivery-id": "a:b c" }), body, secrets, NOW)).toMatchObject({
      status: 400,
    });
  });

  it("dedupes by delivery id and by signature, namespaced per tenant", () => {
    const v = verifyDelivery(headers(), body, secrets, NOW);
    if (!v.ok) throw new Error("expected ok");
    const [delivery, signature] = dedupeKeys("okmcp", 42, v);
    expect(delivery).toBe("okmcp:42:webhooks:delivery:0d5c2f9e-1111-4a4a-9b9b-123456789abc");
    expect(signature).toBe(`okmcp:42:webhooks:signature:${signWebhook(SECRET, NOW, body)}`);
  });
});

describe("parseEnvelope", () => {
  it("400 for non-JSON, 422 for JSON without the envelope", () => {
    expect(parseEnvelope(Buffer.from("not json"))).toMatchObject({ status: 400, error: "invalid_json" });
    expect(parseEnvelope(Buffer.from("[]"))).toMatchObject({ status: 422 });
    expect(parseEnvelope(Buffer.from('{"id":"x","event":"education.students.created"}'))).toMatchObject({
      status: 422,
      error: "invalid_envelope",
    });
    expect(parseEnvelope(body)).toMatchObject({ ok: true, envelope: { tenant_id: 42 } });
  });
});

describe("what an event touches", () => {
  const event = { event: "education.students.updated", data: { student: { id: 12 } } };
  it("names the record and the read scope", () => {
    expect(readScopeOfEvent("employees.directory.created")).toBe("employees.directory.read");
    expect(readScopeOfEvent("billing.invoices.paid")).toBeUndefined();
    expect(recordsTouched(event)).toEqual([{ collection: "students", id: 12 }]);
    expect(recordsTouched({ event: "education.subjects.created", data: { subject: { id: 1 } } })).toEqual([]);
    expect(recordsTouched({ event: "education.students.created", data: { student: { id: "7" } } })).toEqual(
      [],
    );
  });
  it("hides events the installation may not read", () => {
    expect(eventVisibleWith("education.students.created", ["employees.directory.read"])).toBe(false);
    expect(urisUpdatedBy(event, ["education.students.read"])).toEqual([
      "okta://events/recent",
      "okta://students/12",
    ]);
    expect(urisUpdatedBy(event, [])).toEqual([]);
  });
});

describe("planReload", () => {
  it("keeps unchanged entries, replaces changed ones, removes the missing", () => {
    const plan = planReload(
      [
        { name: "a", fingerprint: "1" },
        { name: "b", fingerprint: "2" },
        { name: "c", fingerprint: "3" },
      ],
      [
        { name: "a", fingerprint: "1" },
        { name: "b", fingerprint: "2x" },
        { name: "d", fingerprint: "4" },
      ],
    );
    expect(plan).toEqual({ keep: ["a"], add: ["b", "d"], remove: ["b", "c"] });
  });
});
