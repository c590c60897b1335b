/** Outgoing webhooks: the envelope, the headers, a signature verifiable by the reference's recipe, retries. */
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { verifyWebhookSignature } from "../../src/platform/webhook-signature.js";
import { type Json, sleep, useSandbox } from "./helpers.js";

/** Liveness bound for vi.waitFor (its 1 s default flakes on a busy machine). */
const WAIT = { timeout: 15_000, interval: 20 };

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
}

const secret = "whsec_sandbox_test";
const receivers: Server[] = [];
afterEach(async () => {
  for (const server of receivers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A receiver answering the scripted statuses in turn (then 200); `hang` never answers. */
async function receiver(statuses: Array<number | "hang"> = []) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk) => {
      raw += chunk;
    });
    req.on("end", () => {
      received.push({ headers: req.headers, raw });
      const status = statuses.shift() ?? 200;
      if (status !== "hang") res.writeHead(status).end();
    });
  });
  receivers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received };
}

describe("outgoing webhooks", () => {
  const start = useSandbox();

  it("POSTs a signed envelope for a created student", async () => {
    const hook = await receiver();
    const { sandbox, call } = await start({ webhook: { url: hook.url, secret } });
    const created = await call("/education/students", { json: { full_name: "Reem Webhook" } });
    await vi.waitFor(() => expect(hook.received).toHaveLength(1), WAIT);
    const [{ headers, raw }] = hook.received as [Received];
    const envelope: Json = JSON.parse(raw);
    expect(envelope).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      event: "education.students.created",
      tenant_id: 42,
      created_at: expect.stringMatching(/T\d{2}:\d{2}:\d{2}\+03:00$/),
      data: { student: created.body.data },
    });
    expect(headers["x-okta-event"]).toBe("education.students.created");
    expect(headers["x-okta-delivery-id"]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const timestamp = headers["x-okta-timestamp"] as string;
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(10);
    // The reference's recipe, computed here independently of the sandbox's code.
    const expected = createHmac("sha256", secret).update(`${timestamp}.${raw}`).digest("hex");
    expect(headers["x-okta-signature"]).toBe(expected);
    expect(verifyWebhookSignature({ secret, timestamp, rawBody: raw, signature: expected })).toBe(true);
    await sandbox.webhooksIdle();
    expect(sandbox.webhookDeliveries).toMatchObject([
      { attempt: 1, status: 200, ok: true, willRetry: false },
    ]);
  });

  it("names events after the scope: updated students, guardians, subjects, employees", async () => {
    const hook = await receiver();
    const { call } = await start({ webhook: { url: hook.url, secret } });
    await call("/education/students/1", { method: "PATCH", json: { full_name: "Renamed" } });
    await call("/education/guardians", { json: { full_name: "New Guardian" } });
    await call("/education/guardians/2", { method: "PATCH", json: { relation: "other" } });
    await call("/education/subjects", { json: { name: "Robotics", code: "ROB" } });
    await call("/employees/directory", { json: { full_name: "New Hire", email: "new.hire@example.com" } });
    // Idempotent repeats of subject code / employee email change nothing, so no event.
    await call("/education/subjects", { json: { name: "Robotics", code: "ROB" } });
    await call("/employees/directory", { json: { full_name: "New Hire", email: "NEW.HIRE@example.com" } });
    await vi.waitFor(() => expect(hook.received).toHaveLength(5), WAIT);
    await sleep(50);
    const events = hook.received.map((r) => [
      r.headers["x-okta-event"],
      Object.keys(JSON.parse(r.raw).data)[0],
    ]);
    expect(events.sort()).toEqual(
      [
        ["education.students.updated", "student"],
        ["education.guardians.created", "guardian"],
        ["education.guardians.updated", "guardian"],
        ["education.subjects.created", "subject"],
        ["employees.directory.created", "employee"],
      ].sort(),
    );
  });

  it("retries a failed delivery on the schedule, same delivery id, signed afresh", async () => {
    const hook = await receiver([500, 503]);
    const { sandbox, call } = await start({
      webhook: { url: hook.url, secret, retryDelaysMs: [30, 30, 30] },
    });
    await call("/education/guardians", { json: { full_name: "Retry Guardian" } });
    await vi.waitFor(() => expect(hook.received).toHaveLength(3), WAIT);
    await sandbox.webhooksIdle();
    const ids = new Set(hook.received.map((r) => r.headers["x-okta-delivery-id"]));
    expect(ids.size).toBe(1);
    expect(new Set(hook.received.map((r) => r.raw)).size).toBe(1);
    for (const { headers, raw } of hook.received) {
      const timestamp = headers["x-okta-timestamp"] as string;
      expect(headers["x-okta-signature"]).toBe(
        createHmac("sha256", secret).update(`${timestamp}.${raw}`).digest("hex"),
      );
    }
    expect(sandbox.webhookDeliveries.map((d) => [d.attempt, d.status, d.willRetry])).toEqual([
      [1, 500, true],
      [2, 503, true],
      [3, 200, false],
    ]);
  });

  it("gives up after the last retry, and retries network errors too", async () => {
    const { sandbox, call } = await start({
      webhook: { url: "http://127.0.0.1:9/unreachable", secret, retryDelaysMs: [10] },
    });
    await call("/education/guardians", { json: { full_name: "Nobody Listens" } });
    await vi.waitFor(() => expect(sandbox.webhookDeliveries).toHaveLength(2), WAIT);
    expect(sandbox.webhookDeliveries.map((d) => [d.ok, d.willRetry, typeof d.error])).toEqual([
      [false, true, "string"],
      [false, false, "string"],
    ]);
  });

  it("never delays the API response, and stop() does not wait for a hanging receiver", async () => {
    const hook = await receiver(["hang"]);
    const { sandbox, call } = await start({ webhook: { url: hook.url, secret } });
    const started = Date.now();
    expect((await call("/education/guardians", { json: { full_name: "Fast Answer" } })).status).toBe(201);
    // The receiver hangs until the 10 s attempt timeout: an answer well before it proves no waiting.
    expect(Date.now() - started).toBeLessThan(6000);
    await vi.waitFor(() => expect(hook.received).toHaveLength(1), WAIT);
    const stopping = Date.now();
    await sandbox.stop();
    expect(Date.now() - stopping).toBeLessThan(6000);
  });
});
