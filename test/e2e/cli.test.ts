/**
 * The bin as a user meets it: help, version, clear start-up errors, and the no-credentials demo.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CLI, connectStdio, structured, textOf } from "../helpers.js";

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: 15_000,
    input: "",
  });
}

describe("cli", () => {
  it("--help and --version answer on stdout and exit 0", () => {
    const help = run(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("--sandbox");
    const version = run(["--version"]);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("a missing token without --sandbox: a clear message on stderr, nothing on stdout, exit 1", () => {
    const result = run([]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("OKTA_PARTNER_TOKEN");
    expect(result.stderr).toContain("--sandbox");
  });

  it("an unreadable token file is named without its content", () => {
    const result = run([], { OKTA_PARTNER_TOKEN_FILE: "/nonexistent/token-file" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("/nonexistent/token-file");
  });

  it("bad flags exit 2 with the reason", () => {
    expect(run(["--transport", "carrier-pigeon"]).status).toBe(2);
    const scopes = run(["--sandbox", "--sandbox-scopes", "education.students.read,nope.read"]);
    expect(scopes.status).toBe(2);
    expect(scopes.stderr).toContain("nope.read");
    expect(run(["--toolsets", "payroll"]).stderr).toContain("payroll");
  });

  it("a client that pipes its requests and closes stdin still gets every answer", () => {
    const lines = [
      {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "sh", version: "1" } },
      },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "list_students", arguments: { per_page: 2 } },
      },
    ];
    const result = spawnSync(process.execPath, [CLI, "--sandbox"], {
      env: { PATH: process.env.PATH ?? "" },
      input: `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`,
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(0);
    const answers = result.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const call = answers.find((a) => a.id === 2);
    expect(call?.result?.structuredContent?.total).toBe(1242);
  });

  it("--sandbox serves demo data with no token at all, and says so plainly", async () => {
    const mcp = await connectStdio(
      { baseUrl: "", token: "" },
      ["--sandbox", "--sandbox-scopes", "education.students.read"],
      {
        OKTA_PARTNER_TOKEN: "",
        OKTA_API_BASE_URL: "",
      },
    );
    try {
      expect(mcp.client.getInstructions()).toContain("SANDBOX MODE");
      const { tools } = await mcp.client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(["get_student", "list_students", "whoami"]);
      const who = await mcp.client.callTool({ name: "whoami", arguments: {} });
      expect(structured<{ sandbox: boolean }>(who).sandbox).toBe(true);
      expect(textOf(who)).toContain("SANDBOX");
      const list = await mcp.client.callTool({ name: "list_students", arguments: { per_page: 1 } });
      expect(structured<{ total: number }>(list).total).toBe(1242);
    } finally {
      await mcp.close();
    }
  });
});
