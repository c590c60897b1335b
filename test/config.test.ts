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

  it("meters requests and completions per key; the old --tool-calls-per-minute still works", () => {
    expect(
      serve(["--transport", "http", "--requests-per-minute", "60", "--completions-per-minute", "300"])
        .httpLimits,
    ).toEqual({ requestsPerMinute: 60, completionsPerMinute: 300 });
    expect(serve(["--transport", "http", "--tool-calls-per-minute", "90"]).httpLimits).toEqual({
      requestsPerMinute: 90,
    });
  });

  it("--allow-unconfirmed-sends is chosen explicitly, for a stateless HTTP server", () => {
    expect(serve([]).allowUnconfirmedSends).toBe(false);
    expect(
      serve(["--transport", "http", "--stateless", "--allow-unconfirmed-sends"]).allowUnconfirmedSends,
    ).toBe(true);
  });

  it.each([
    [["--tool-calls-per-minute", "1", "--requests-per-minute", "2"], "give one"],
    [["--allow-unconfirmed-sends"], "--stateless"],
    [["--transport", "http", "--allow-unconfirmed-sends"], "--stateless"],
    [["--completions-per-minute", "0"], "--completions-per-minute"],
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
