/**
 * Resources follow the grant the way tools do: a template is listed, read and completed only when
 * the tools it mirrors are served (granted scopes, then --read-only, then --toolsets), a grant
 * change at runtime re-filters them with one resources/list_changed, and reads fail with the
 * protocol's codes: -32602 with data.uri for what is not there (or not served), -32602 without it
 * for a malformed id.
 * Refused reads and completions never reach the platform.
 */

import type { Client } from "@modelcontextprotocol/client";
import { ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ALL_SCOPES, type Scope } from "../../src/platform/scopes.js";
import { WebhookEnvelope } from "../../src/platform/webhook-event.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import type { ServerOptions } from "../../src/server.js";
import { connectInProcess, connectStdio, readJson, sandboxWith, structured } from "../helpers.js";
import { waitFor } from "./http-harness.js";
import { envelope, recordNotifications } from "./webhook-harness.js";

/**
 * Resource not found, as the 2026-07-28 revision has it on every era: -32602 with `data.uri`
 * naming the resource (a malformed id is a -32602 without it).
 */
function expectNotFound(error: ProtocolError, uri: string) {
  expect(error.code, uri).toBe(ProtocolErrorCode.InvalidParams);
  expect((error.data as { uri?: string } | undefined)?.uri, uri).toBe(uri);
}

const ALL_TEMPLATES = [
  "okta://employees/{id}",
  "okta://guardians/{id}",
  "okta://reports/runs/{id}",
  "okta://reports/{key}",
  "okta://students/{id}",
];

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await sandboxWith();
});
afterAll(async () => {
  await sandbox?.stop();
});
beforeEach(() => sandbox.clearRequests());

let counter = 0;
/** A server in process for a new installation of the demo school holding `scopes`. */
async function serverWith(scopes: readonly Scope[], options: ServerOptions = {}) {
  const token = `sbx_res_${String(++counter).padStart(4, "0")}_${Date.now()}`;
  sandbox.addInstallation({ token, scopes, tenantId: 42 });
  const h = await connectInProcess({ baseUrl: sandbox.baseUrl, token }, options);
  return { ...h, token };
}

async function templates(client: Client): Promise<string[]> {
  const { resourceTemplates } = await client.listResourceTemplates();
  return resourceTemplates.map((t) => t.uriTemplate).sort();
}

async function resourceUris(client: Client): Promise<string[]> {
  const { resources } = await client.listResources();
  return resources.map((r) => r.uri).sort();
}

/** Counts the resources/list_changed notifications the client receives. */
function countListChanged(client: Client): () => number {
  let count = 0;
  client.setNotificationHandler("notifications/resources/list_changed", () => {
    count++;
  });
  return () => count;
}

/** The JSON-RPC error a refused read answers with. */
async function readError(client: Client, uri: string): Promise<ProtocolError> {
  const error = await client.readResource({ uri }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ProtocolError)) throw new Error(`reading ${uri} did not fail with an MCP error`);
  // A clear sentence: never a stack trace; data at most names the resource (not found).
  expect(error.message).not.toMatch(/\n\s+at /);
  if (error.data !== undefined) expect(error.data).toEqual({ uri });
  return error;
}

async function completeError(client: Client, uri: string, name: string, value: string) {
  const error = await client.complete({ ref: { type: "ref/resource", uri }, argument: { name, value } }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ProtocolError)) throw new Error(`completing ${uri} did not fail with an MCP error`);
  return error;
}

describe("under a reduced grant (education.students.read only)", () => {
  it("lists, reads and completes only the students template; the others reach nothing", async () => {
    const h = await serverWith(["education.students.read"]);
    try {
      expect(await templates(h.client)).toEqual(["okta://students/{id}"]);
      expect(await resourceUris(h.client)).toEqual(["okta://scopes", "okta://whoami"]);

      sandbox.clearRequests();
      for (const uri of [
        "okta://employees/1",
        "okta://guardians/1",
        "okta://reports",
        "okta://reports/attendance_summary",
        "okta://reports/runs/0b7c6f1e-0000-4000-8000-000000000000",
      ]) {
        const error = await readError(h.client, uri);
        expectNotFound(error, uri);
        expect(error.message, uri).toMatch(/is not served here: it needs scope "[a-z._]+" .* not granted/);
      }
      const employeeError = await completeError(h.client, "okta://employees/{id}", "id", "1");
      expect(employeeError.code).toBe(ProtocolErrorCode.InvalidParams);
      const reportError = await completeError(h.client, "okta://reports/{key}", "key", "a");
      expect(reportError.code).toBe(ProtocolErrorCode.InvalidParams);
      expect(sandbox.requests).toHaveLength(0);

      const student = await readJson<{ id: number }>(h.client, "okta://students/3");
      expect(student.id).toBe(3);
      const ids = await h.client.complete({
        ref: { type: "ref/resource", uri: "okta://students/{id}" },
        argument: { name: "id", value: "1" },
      });
      expect(ids.completion.values.length).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });
});

describe("with --read-only and --toolsets", () => {
  it("--read-only keeps every template: each mirrors a read tool", async () => {
    const h = await serverWith(ALL_SCOPES, { readOnly: true });
    try {
      expect(await templates(h.client)).toEqual(ALL_TEMPLATES);
      expect(await resourceUris(h.client)).toEqual(["okta://reports", "okta://scopes", "okta://whoami"]);
    } finally {
      await h.close();
    }
  });

  it("--toolsets education serves only the education templates; employees and reports are refused", async () => {
    const h = await serverWith(ALL_SCOPES, { toolsets: ["education"] });
    try {
      expect(await templates(h.client)).toEqual(["okta://guardians/{id}", "okta://students/{id}"]);
      expect(await resourceUris(h.client)).toEqual(["okta://scopes", "okta://whoami"]);
      sandbox.clearRequests();
      for (const uri of ["okta://employees/1", "okta://reports", "okta://reports/attendance_summary"]) {
        const error = await readError(h.client, uri);
        expectNotFound(error, uri);
        expect(error.message, uri).toMatch(/--read-only \/ --toolsets leave out (get_employee|list_reports)/);
      }
      expect((await completeError(h.client, "okta://reports/{key}", "key", "a")).code).toBe(
        ProtocolErrorCode.InvalidParams,
      );
      expect(sandbox.requests).toHaveLength(0);
      expect((await readJson<{ id: number }>(h.client, "okta://guardians/2")).id).toBe(2);
    } finally {
      await h.close();
    }
  });

  it("the flags reach the resources of the built bin over stdio", async () => {
    const restricted = await sandboxWith({
      scopes: ["education.students.read", "employees.directory.read", "reports.builder.read"],
    });
    const mcp = await connectStdio(restricted, ["--toolsets", "employees", "--read-only"]);
    try {
      expect(await templates(mcp.client)).toEqual(["okta://employees/{id}"]);
      restricted.clearRequests();
      expectNotFound(await readError(mcp.client, "okta://students/3"), "okta://students/3");
      expect(restricted.requests.filter((r) => r.tool === "get_student")).toHaveLength(0);
    } finally {
      await mcp.close();
      await restricted.stop();
    }
  });
});

describe("the event feed and subscriptions under --toolsets", () => {
  it("events and subscriptions for records whose tools are left out are neither shown nor accepted", async () => {
    const h = await serverWith(ALL_SCOPES, { toolsets: ["education"], eventFeed: true });
    const notes = recordNotifications(h.client);
    try {
      const refused = await h.client.subscribeResource({ uri: "okta://employees/5" }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(ProtocolError);
      expectNotFound(refused as ProtocolError, "okta://employees/5");
      await h.client.subscribeResource({ uri: "okta://students/5" });
      await h.client.subscribeResource({ uri: "okta://events/recent" });

      // What the webhook receiver hands the installation once a delivery is verified.
      const event = (over: Record<string, unknown>) => WebhookEnvelope.parse(envelope(over));
      h.installation.events.add(
        event({ event: "employees.directory.created", data: { employee: { id: 5 } } }),
      );
      h.installation.events.add(event({ event: "education.students.updated" }));
      await waitFor(() => notes.updated.includes("okta://students/5"), 15_000, "the student's update");
      const feed = await readJson<{ events: Array<{ event: string }> }>(h.client, "okta://events/recent");
      expect(feed.events.map((e) => e.event)).toEqual(["education.students.updated"]);
      // One feed update (the student's event): the employee's event was not announced.
      expect(notes.updated.filter((u) => u === "okta://events/recent")).toHaveLength(1);
    } finally {
      await h.close();
    }
  });
});

describe("a grant change at runtime", () => {
  it("removes the templates, says so once, and drops the cached report runs", async () => {
    const h = await serverWith(ALL_SCOPES);
    const listChanged = countListChanged(h.client);
    try {
      const run = structured<{ resource_uri: string }>(
        await h.client.callTool({
          name: "run_report",
          arguments: { key: "attendance_summary", params: { section_id: 1, term_id: 1 } },
        }),
      );
      const runUri = run.resource_uri;
      expect(runUri).toMatch(/^okta:\/\/reports\/runs\//);
      expect((await readJson(h.client, runUri)).key).toBe("attendance_summary");

      // A change that moves only tools (a write scope): the resources stay, and nothing is said.
      sandbox.setScopes(
        h.token,
        ALL_SCOPES.filter((s) => s !== "education.students.write"),
      );
      await h.installation.refreshWhoami();
      expect(await templates(h.client)).toEqual(ALL_TEMPLATES);
      expect(listChanged()).toBe(0);

      sandbox.setScopes(h.token, ["education.students.read"]);
      await h.installation.refreshWhoami();
      await waitFor(() => listChanged() > 0, 15_000, "resources/list_changed");
      expect(await templates(h.client)).toEqual(["okta://students/{id}"]);
      // Once, though four templates and okta://reports went: the round trip above let any other arrive.
      expect(listChanged()).toBe(1);
      expect(await resourceUris(h.client)).toEqual(["okta://scopes", "okta://whoami"]);
      expectNotFound(await readError(h.client, runUri), runUri);

      // Granted again: the template is back, but the run was dropped, not merely hidden.
      sandbox.setScopes(h.token, ALL_SCOPES);
      await h.installation.refreshWhoami();
      await waitFor(() => listChanged() > 1, 15_000, "the second resources/list_changed");
      expect(await templates(h.client)).toEqual(ALL_TEMPLATES);
      const gone = await readError(h.client, runUri);
      expectNotFound(gone, runUri);
      expect(gone.message).toMatch(/No stored report run/);
    } finally {
      await h.close();
    }
  });
});

describe("resources/read error codes", () => {
  it("not found (-32602 with data.uri) for an unknown URI, a record the platform does not have, an unknown run or report", async () => {
    const h = await serverWith(ALL_SCOPES);
    try {
      const unknown = await readError(h.client, "okta://nothing/here");
      expectNotFound(unknown, "okta://nothing/here");
      expect(unknown.message).toContain("okta://nothing/here");

      sandbox.clearRequests();
      const missing = await readError(h.client, "okta://students/999999");
      expectNotFound(missing, "okta://students/999999");
      expect(missing.message).toMatch(/okta:\/\/students\/999999 was not found.*\(404\)/);
      expect(sandbox.requests.map((r) => [r.tool, r.status])).toEqual([["get_student", 404]]);

      const run = await readError(h.client, "okta://reports/runs/not-a-run");
      expectNotFound(run, "okta://reports/runs/not-a-run");
      expect(run.message).toMatch(/No stored report run/);
      const report = await readError(h.client, "okta://reports/no_such_report");
      expectNotFound(report, "okta://reports/no_such_report");
      expect(report.message).toMatch(/no_such_report/);
    } finally {
      await h.close();
    }
  });

  it("-32602 for a malformed id, before any request", async () => {
    const h = await serverWith(ALL_SCOPES);
    try {
      sandbox.clearRequests();
      for (const uri of ["okta://students/abc", "okta://students/0", "okta://employees/1.5"]) {
        const error = await readError(h.client, uri);
        expect(error.code, uri).toBe(ProtocolErrorCode.InvalidParams);
        expect((error.data as { uri?: string } | undefined)?.uri, uri).toBeUndefined();
        expect(error.message, uri).toMatch(/must be a positive integer/);
      }
      expect(sandbox.requests).toHaveLength(0);
    } finally {
      await h.close();
    }
  });

  it("a platform outage (503 after retries): -32603 with a clear message", async () => {
    const h = await serverWith(ALL_SCOPES);
    try {
      sandbox.injectFaults(
        ...Array.from({ length: 5 }, () => ({ kind: "503" as const, match: { tool: "get_employee" } })),
      );
      const error = await readError(h.client, "okta://employees/1");
      expect(error.code).toBe(ProtocolErrorCode.InternalError);
      expect(error.message).toMatch(/unavailable \(503\) after 5 attempts/);
    } finally {
      await h.close();
    }
  });

  it("a scope withdrawn before the server noticed (403): not found, and the grant is re-read", async () => {
    const h = await serverWith(ALL_SCOPES);
    const listChanged = countListChanged(h.client);
    try {
      sandbox.setScopes(
        h.token,
        ALL_SCOPES.filter((s) => s !== "employees.directory.read"),
      );
      const error = await readError(h.client, "okta://employees/1");
      expectNotFound(error, "okta://employees/1");
      expect(error.message).toContain('"employees.directory.read" is not granted');
      await waitFor(() => listChanged() > 0, 15_000, "resources/list_changed after the 403");
      expect(await templates(h.client)).not.toContain("okta://employees/{id}");
    } finally {
      await h.close();
    }
  });
});
