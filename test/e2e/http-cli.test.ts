/**
 * The built bin over HTTP, as an operator runs it: one installation with a generated key shown
 * once, many installations from a file, clear start-up errors, and a clean exit on SIGTERM.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_SCOPES } from "../../src/platform/scopes.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { sha256Hex } from "../../src/transport/client-auth.js";
import { CLI, READ_ONLY_SCOPES, sandboxWith, structured } from "../helpers.js";
import { startHttpBin as startBin } from "./http-bin.js";
import { connectSse, connectStreamable, KEY_A, KEY_B, waitFor } from "./http-harness.js";

describe("the bin over HTTP", () => {
  let sandbox: Sandbox;
  let dir: string;
  beforeAll(async () => {
    sandbox = await sandboxWith({
      installations: [
        { token: "sbx_cli_north_0001", scopes: ALL_SCOPES, tenantId: 42 },
        { token: "sbx_cli_south_0002", scopes: READ_ONLY_SCOPES, tenantId: 9 },
      ],
    });
    dir = mkdtempSync(join(tmpdir(), "okta-mcp-http-"));
  });
  afterAll(() => sandbox?.stop());

  it("one installation: generates a key, prints it once on stderr, serves it, exits 0 on SIGTERM", async () => {
    const bin = await startBin([], {
      OKTA_PARTNER_TOKEN: "sbx_cli_north_0001",
      OKTA_API_BASE_URL: sandbox.baseUrl,
    });
    try {
      const key = /Authorization: Bearer (okmcp_[A-Za-z0-9_-]{43})/.exec(bin.stderr())?.[1];
      expect(key, bin.stderr()).toBeTruthy();
      expect(bin.stderr().split(key!).length - 1).toBe(1);
      expect(bin.stderr()).not.toContain("sbx_cli_north_0001");
      const health = await fetch(`${bin.handle.url}/healthz`);
      expect(await health.json()).toMatchObject({ status: "ok" });
      const client = await connectStreamable(bin.handle, key!);
      expect((await client.listTools()).tools).toHaveLength(22);
      await client.close();
    } finally {
      bin.child.kill("SIGTERM");
    }
    expect(await bin.exit).toBe(0);
    expect(bin.stderr()).toContain("HTTP server closed");
  });

  it("limit flags reach the server: under --max-sessions 1 a second session closes the idle first", async () => {
    const bin = await startBin(["--max-sessions", "1", "--tool-calls-per-minute", "600"], {
      OKTA_PARTNER_TOKEN: "sbx_cli_north_0001",
      OKTA_API_BASE_URL: sandbox.baseUrl,
      OKTA_MCP_API_KEY: KEY_A,
    });
    try {
      const first = await connectStreamable(bin.handle, KEY_A);
      const second = await connectStreamable(bin.handle, KEY_A);
      await expect(first.listTools()).rejects.toThrow(/Session not found/);
      expect((await second.listTools()).tools).toHaveLength(22);
      await Promise.all([first.close(), second.close()]);
    } finally {
      bin.child.kill("SIGTERM");
    }
    expect(await bin.exit).toBe(0);
  });

  it("--stateless --allow-unconfirmed-sends reaches the server: sent unasked, warned at start and on the send", async () => {
    const bin = await startBin(["--stateless", "--allow-unconfirmed-sends"], {
      OKTA_PARTNER_TOKEN: "sbx_cli_north_0001",
      OKTA_API_BASE_URL: sandbox.baseUrl,
      OKTA_MCP_API_KEY: KEY_A,
    });
    try {
      expect(bin.stderr()).toContain("sends without confirmation on this stateless server");
      const client = await connectStreamable(bin.handle, KEY_A);
      const message = "Sent by a stateless bin";
      const result = await client.callTool({
        name: "send_notification",
        arguments: { to: "+966500000002", message },
      });
      expect(result.isError).toBeFalsy();
      expect(sandbox.records(42, "notifications").filter((n) => n.message === message)).toHaveLength(1);
      await waitFor(() => bin.stderr().includes("sending unconfirmed"), 10_000, "the per-send warning");
      await client.close();
    } finally {
      bin.child.kill("SIGTERM");
    }
    expect(await bin.exit).toBe(0);
  });

  it("many installations from a file: each key sees its own tenant", async () => {
    const file = join(dir, "installations.json");
    const tokenFile = join(dir, "south.token");
    writeFileSync(tokenFile, "sbx_cli_south_0002\n");
    writeFileSync(
      file,
      JSON.stringify({
        installations: [
          {
            name: "north",
            token_env: "NORTH_TOKEN",
            base_url: sandbox.baseUrl,
            api_key_sha256: [sha256Hex(KEY_A)],
          },
          {
            name: "south",
            token_file: "south.token",
            base_url: sandbox.baseUrl,
            api_key_sha256: [sha256Hex(KEY_B)],
          },
        ],
      }),
    );
    const bin = await startBin(["--installations", file], { NORTH_TOKEN: "sbx_cli_north_0001" });
    try {
      const a = await connectStreamable(bin.handle, KEY_A);
      const b = await connectSse(bin.handle, KEY_B);
      const [ta, tb] = await Promise.all([a.listTools(), b.listTools()]);
      expect([ta.tools.length, tb.tools.length]).toEqual([22, 8]);
      const who = await b.callTool({ name: "whoami", arguments: {} });
      expect(structured<{ tenant_id: number }>(who).tenant_id).toBe(9);
      await Promise.all([a.close(), b.close()]);
      expect(bin.stderr()).not.toContain("sbx_cli_");
    } finally {
      bin.child.kill("SIGTERM");
    }
    expect(await bin.exit).toBe(0);
  });

  it("a bad installations file: exit 1 with the entry and field named, and no token shown", () => {
    const file = join(dir, "bad.json");
    writeFileSync(
      file,
      JSON.stringify({
        installations: [
          { name: "north", token: "sbx_secret_inline_token", api_key_sha256: [KEY_A] },
          { name: "south", token: "sbx_other_secret", token_env: "X", api_key_sha256: [sha256Hex(KEY_B)] },
        ],
      }),
    );
    const result = spawnSync(process.execPath, [CLI, "--transport", "http", "--installations", file], {
      env: { PATH: process.env.PATH ?? "" },
      encoding: "utf8",
      timeout: 15_000,
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain('installations[0] ("north").api_key_sha256[0]');
    expect(result.stderr).toContain("not the key");
    expect(result.stderr).toContain('installations[1] ("south").token');
    expect(result.stderr).toContain("exactly one of token, token_file or token_env");
    expect(result.stderr).not.toContain("sbx_secret_inline_token");
    expect(result.stderr).not.toContain("sbx_other_secret");
    expect(result.stderr).not.toContain(KEY_A);
  });
});
