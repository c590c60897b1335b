/** Flags -> configuration: a pure function, so every refusal is checked without a process. */
import { describe, expect, it } from "vitest";
import { type Config, ConfigError, parseCli } from "../src/config.js";

const serve = (argv: string[]) => parseCli(argv) as Config;

describe("parseCli", () => {
  it("defaults to stdio on loopback with no filters", () => {
    expect(serve([])).toMatchObject({
      command: "serve",
      transport: "stdio",
      host: "127.0.0.1",
      port: 3333,
      readOnly: false,
      httpLimits: {},
    });
  });

  it("reads filters, limits and the sandbox scopes", () => {
    const config = serve([
      "--transport",
      "http",
      "--read-only",
      "--toolsets",
      "education,reports",
      "--confirm",
      "create_student",
      "--max-sessions",
      "10",
      "--session-idle-minutes",
      "5",
      "--sandbox",
      "--sandbox-scopes",
      "education.students.read",
    ]);
    expect(config).toMatchObject({
      transport: "http",
      readOnly: true,
      toolsets: ["education", "reports"],
      confirm: ["create_student"],
      httpLimits: { maxSessionsTotal: 10, sessionIdleMs: 300_000 },
      sandboxScopes: ["education.students.read"],
    });
  });

  it.each([
    [["--port", "0"], "--port"],
    [["--port", "http"], "--port"],
    [["--max-sessions", "-1"], "--max-sessions"],
    [["--toolsets", "payroll"], "payroll"],
    [["--confirm", "drop_tables"], "drop_tables"],
    [["--sandbox-scopes", "nope.read"], "nope.read"],
    [["--installations", "x.json"], "--transport http"],
    [["--unknown-flag"], "unknown-flag"],
    [["extra"], "extra"],
  ])("refuses %j naming %s", (argv, named) => {
    expect(() => parseCli(argv)).toThrow(ConfigError);
    expect(() => parseCli(argv)).toThrow(named);
  });

  it("dispatches help, version and the sandbox subcommand", () => {
    expect(parseCli(["--help"])).toEqual({ command: "help" });
    expect(parseCli(["-v"])).toEqual({ command: "version" });
    expect(parseCli(["sandbox", "--port", "1"])).toEqual({ command: "sandbox", argv: ["--port", "1"] });
  });
});
