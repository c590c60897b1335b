/**
 * examples/http-client.ts against the real server over HTTP on the embedded sandbox: the snippet
 * a chatbot backend copies must work as written. Needs the build (`npm test` builds first).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectOktaMcp } from "../../examples/http-client.js";
import { TOOL_NAMES } from "../../src/platform/catalog.js";
import { freePort } from "../helpers.js";
import { ROOT } from "./helpers.js";

async function waitForHealth(url: string, deadline = Date.now() + 15_000): Promise<void> {
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer in time`);
}

describe("examples/http-client.ts over Streamable HTTP", () => {
  const apiKey = randomBytes(24).toString("base64url");
  let server: ChildProcess;
  let base: string;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, "dist/cli.js")))
      throw new Error("dist/cli.js is missing: npm run build first");
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawn(
      process.execPath,
      [join(ROOT, "dist/cli.js"), "--sandbox", "--transport", "http", "--port", String(port)],
      {
        env: { PATH: process.env.PATH ?? "", OKTA_MCP_API_KEY: apiKey, LOG_LEVEL: "warn" },
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    await waitForHealth(`${base}/healthz`);
  });

  afterAll(() => {
    server?.kill("SIGTERM");
  });

  it("connects with the API key on 2026-07-28 (no session to end) and lists every tool", async () => {
    const client = await connectOktaMcp(`${base}/mcp`, apiKey);
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe("2026-07-28");
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
    } finally {
      await client.close();
    }
  });

  it("is refused with a wrong key", async () => {
    await expect(connectOktaMcp(`${base}/mcp`, `${apiKey}x`)).rejects.toThrow();
  });
});
