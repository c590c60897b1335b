/**
 * A token rotated to another school's token fails closed: every tool call, resource read and
 * completion is refused with a message naming both tenant ids (never the token), nothing but the
 * one whoami that found it goes to the platform with that token, one error is logged per change,
 * and events of the other tenant reach no session. A token of the first tenant again: served.
 * Over stdio (the built bin, following OKTA_PARTNER_TOKEN_FILE) and over HTTP (an installations
 * file's token_file, with the webhook receiver).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TenantMismatchError } from "../../src/client/errors.js";
import { Installation } from "../../src/installation.js";
import { silentLogger } from "../../src/logger.js";
import { ALL_SCOPES } from "../../src/platform/scopes.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { connectStdio, sandboxWith, textOf } from "../helpers.js";
import {
  capturingLogger,
  connectStreamable,
  KEY_A,
  replaceFile,
  serveNorthFromTokenFile,
  waitFor,
} from "./http-harness.js";
import { deliver, envelope, recordNotifications, signed } from "./webhook-harness.js";

const HOME = 42;
const OTHER = 7;
const HOME_TOKEN = "sbx_tenant_home_0001";
const OTHER_TOKEN = "sbx_tenant_other_0002";
const HOME_TOKEN_NEW = "sbx_tenant_home_0003";
const OTHER_APP_TOKEN = "sbx_tenant_home_other_app_0004";
const SECRET = "whsec_tenant_change_0123456789";
const MISMATCH = /serves tenant 42 \(module okta-partners-sandbox\).*belongs to tenant 7/;

let sandbox: Sandbox;
let dir: string;
beforeAll(async () => {
  sandbox = await sandboxWith({
    installations: [
      { token: HOME_TOKEN, scopes: ALL_SCOPES, tenantId: HOME },
      { token: OTHER_TOKEN, scopes: ALL_SCOPES, tenantId: OTHER },
      { token: HOME_TOKEN_NEW, scopes: ALL_SCOPES, tenantId: HOME },
      { token: OTHER_APP_TOKEN, scopes: ALL_SCOPES, tenantId: HOME, module: "another-app" },
    ],
  });
  dir = mkdtempSync(join(tmpdir(), "okmcp-tenant-"));
});
afterAll(async () => {
  await sandbox?.stop();
});

/** Every surface a client reaches: each must be refused while the token is the other tenant's. */
async function expectRefusedEverywhere(client: Client) {
  for (const name of ["list_students", "get_student", "whoami"]) {
    const result = await client.callTool({ name, arguments: name === "get_student" ? { id: 1 } : {} });
    expect(result.isError, name).toBe(true);
    expect(textOf(result)).toMatch(MISMATCH);
    expect(textOf(result)).not.toContain(OTHER_TOKEN);
  }
  for (const uri of ["okta://whoami", "okta://scopes", "okta://students/1", "okta://reports"]) {
    await expect(client.readResource({ uri }), uri).rejects.toThrow(MISMATCH);
  }
  await expect(
    client.complete({
      ref: { type: "ref/resource", uri: "okta://students/{id}" },
      argument: { name: "id", value: "Ev" },
    }),
  ).rejects.toThrow(MISMATCH);
  await expect(
    client.complete({
      ref: { type: "ref/prompt", name: "contact_guardian" },
      argument: { name: "student", value: "Ev" },
    }),
  ).rejects.toThrow(MISMATCH);
}

/** What reached the sandbox with the other tenant's token since `from`: only the whoami that found it. */
function otherTenantRequests(from: number) {
  return sandbox.requests
    .slice(from)
    .filter((r) => r.tenantId === OTHER)
    .map((r) => `${r.method} ${r.tool}`);
}

describe("over stdio (the built bin)", () => {
  it("refuses every call with the other tenant's token, logs once, serves again when fixed", async () => {
    const file = join(dir, "stdio.token");
    writeFileSync(file, `${HOME_TOKEN}\n`);
    const mcp = await connectStdio(sandbox, [], {
      OKTA_PARTNER_TOKEN: "",
      OKTA_PARTNER_TOKEN_FILE: file,
      LOG_LEVEL: "info",
    });
    try {
      expect((await mcp.client.callTool({ name: "list_students", arguments: {} })).isError).toBeFalsy();
      const from = sandbox.requests.length;

      replaceFile(file, `${OTHER_TOKEN}\n`);
      await expectRefusedEverywhere(mcp.client);
      await expectRefusedEverywhere(mcp.client);
      expect(otherTenantRequests(from)).toEqual(["GET whoami"]);
      const errors = mcp.stderr().match(/now belongs to another tenant/g) ?? [];
      expect(errors).toHaveLength(1);
      expect(mcp.stderr()).toMatch(/"level":50[^\n]*now belongs to another tenant/);
      expect(mcp.stderr()).not.toContain(OTHER_TOKEN);

      replaceFile(file, `${HOME_TOKEN_NEW}\n`);
      const served = await mcp.client.callTool({ name: "list_students", arguments: {} });
      expect(served.isError, textOf(served)).toBeFalsy();
      expect((await mcp.client.readResource({ uri: "okta://students/1" })).contents).toHaveLength(1);
      await waitFor(() => mcp.stderr().includes("tenant again"), 10_000, "the resume log line");
      expect(otherTenantRequests(from)).toEqual(["GET whoami"]);
    } finally {
      await mcp.close();
    }
  });
});

describe("over HTTP (installations file, webhooks)", () => {
  it("refuses the sessions, routes no event of the other tenant to them, serves again when fixed", async () => {
    const { logger, lines } = capturingLogger();
    const { server, tokenFile } = await serveNorthFromTokenFile(
      mkdtempSync(join(dir, "http-")),
      HOME_TOKEN,
      sandbox.baseUrl,
      {
        logger,
        webhookSecrets: [{ secret: SECRET }],
      },
    );
    const client = await connectStreamable(server, KEY_A);
    const notes = recordNotifications(client);
    try {
      await client.subscribeResource({ uri: "okta://students/5" });
      const from = sandbox.requests.length;
      replaceFile(tokenFile, OTHER_TOKEN);
      await waitFor(
        () => lines.some((l) => l.includes("now belongs to another tenant")),
        10_000,
        "the error",
      );
      await expectRefusedEverywhere(client);
      expect(otherTenantRequests(from)).toEqual(["GET whoami"]);
      expect(lines.filter((l) => l.includes("now belongs to another tenant"))).toHaveLength(1);
      expect(lines.join("\n")).not.toContain(OTHER_TOKEN);

      // The installation still serves tenant 42 only: tenant 7's event is not routed here.
      const other = await deliver(server, signed(SECRET, envelope({ tenant_id: OTHER })));
      expect(other.status).toBe(404);
      const home = await deliver(server, signed(SECRET, envelope({ tenant_id: HOME })));
      expect(home.status).toBe(202);
      await waitFor(() => notes.updated.includes("okta://students/5"), 10_000, "the home tenant's event");

      replaceFile(tokenFile, HOME_TOKEN_NEW);
      await waitFor(() => lines.some((l) => l.includes("tenant again")), 10_000, "the resume log line");
      const served = await client.callTool({ name: "list_students", arguments: {} });
      expect(served.isError, textOf(served)).toBeFalsy();
      expect(otherTenantRequests(from)).toEqual(["GET whoami"]);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe("another app (module) of the same school", () => {
  it("is another installation too: refused, named by module, until the token is this app's again", async () => {
    let token = HOME_TOKEN;
    const installation = new Installation({
      baseUrl: sandbox.baseUrl,
      token: () => token,
      logger: silentLogger(),
    });
    try {
      await installation.refreshWhoami();
      token = OTHER_APP_TOKEN;
      const refused = installation.client.request({ method: "GET", path: "/education/grades" });
      await expect(refused).rejects.toBeInstanceOf(TenantMismatchError);
      await expect(refused).rejects.toThrow(
        /serves tenant 42 \(module okta-partners-sandbox\).*belongs to tenant 42 \(module another-app\)/,
      );
      token = HOME_TOKEN;
      const res = await installation.client.request({ method: "GET", path: "/education/grades" });
      expect(res.status).toBe(200);
    } finally {
      await installation.close();
    }
  });
});
