/**
 * HTTP log lines name their installation once: the field was added both by a child logger and by
 * the line itself, so a JSON line carried `"installation"` twice (a strict parser keeps either).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_SCOPES } from "../../src/platform/scopes.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { READ_ONLY_SCOPES, sandboxWith } from "../helpers.js";
import {
  capturingLogger,
  connectStreamable,
  KEY_A,
  replaceFile,
  serveNorthFromTokenFile,
  waitFor,
} from "./http-harness.js";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await sandboxWith({
    installations: [
      { token: "sbx_logs_first_0001", scopes: ALL_SCOPES, tenantId: 42 },
      { token: "sbx_logs_second_0002", scopes: READ_ONLY_SCOPES, tenantId: 42 },
    ],
  });
});
afterAll(() => sandbox?.stop());

describe("HTTP log lines", () => {
  it("a tool call, a token file change and a grant change each name the installation once", async () => {
    const { logger, lines } = capturingLogger();
    const dir = mkdtempSync(join(tmpdir(), "okmcp-logs-"));
    const { server, tokenFile } = await serveNorthFromTokenFile(dir, "sbx_logs_first_0001", sandbox.baseUrl, {
      logger,
    });
    const client = await connectStreamable(server, KEY_A);
    try {
      await client.callTool({ name: "list_grades", arguments: {} });
      replaceFile(tokenFile, "sbx_logs_second_0002");
      await waitFor(
        () => lines.some((l) => l.includes("granted scopes changed")),
        10_000,
        "the grant change",
      );
      const named = (msg: string) => lines.filter((l) => l.includes(`"msg":"${msg}"`));
      for (const msg of [
        "tool call",
        "token file changed; reading whoami with the new token",
        "granted scopes changed; updating every session",
      ]) {
        expect(named(msg).length, msg).toBeGreaterThan(0);
        for (const line of named(msg)) expect(line.match(/"installation":/g), line).toHaveLength(1);
      }
      expect(lines.filter((l) => (l.match(/"installation":/g) ?? []).length > 1)).toEqual([]);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
