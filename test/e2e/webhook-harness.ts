/** Helpers for the webhook and rotation suites: a free port, signed deliveries, notification capture. */
import { randomUUID } from "node:crypto";
import type { Client } from "@modelcontextprotocol/client";
import { signWebhook } from "../../src/platform/webhook-signature.js";
import type { HttpServerHandle } from "../../src/transport/http.js";
import { type RawResponse, raw } from "./http-harness.js";

export { freePort } from "../helpers.js";

export function envelope(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `evt-${randomUUID()}`,
    event: "education.students.updated",
    tenant_id: 42,
    created_at: new Date().toISOString(),
    data: { student: { id: 5, full_name: "Test Student" } },
    ...over,
  };
}

export interface Delivery {
  body: string | Buffer;
  headers: Record<string, string>;
}

/** A delivery as the platform sends it; `over` replaces or (undefined) removes headers. */
export function signed(
  secret: string,
  body: string | Buffer | Record<string, unknown>,
  opts: { timestamp?: number; deliveryId?: string; headers?: Record<string, string | undefined> } = {},
): Delivery {
  const raw = typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string | undefined> = {
    "Content-Type": "application/json",
    "X-Okta-Event": "education.students.updated",
    "X-Okta-Delivery-Id": opts.deliveryId ?? randomUUID(),
    "X-Okta-Timestamp": String(timestamp),
    "X-Okta-Signature": signWebhook(secret, timestamp, raw),
    ...opts.headers,
  };
  return {
    body: raw,
    headers: Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >,
  };
}

export function deliver(server: HttpServerHandle, delivery: Delivery): Promise<RawResponse> {
  return raw(server, { path: "/webhooks/okta", headers: delivery.headers, body: delivery.body });
}

/** Collects `resources/updated` URIs and `tools/list_changed` counts a client receives. */
export function recordNotifications(client: Client): { updated: string[]; toolsChanged: () => number } {
  const updated: string[] = [];
  let toolsChanged = 0;
  client.setNotificationHandler("notifications/resources/updated", (n) => {
    updated.push(n.params.uri);
  });
  client.setNotificationHandler("notifications/tools/list_changed", () => {
    toolsChanged++;
  });
  return { updated, toolsChanged: () => toolsChanged };
}
