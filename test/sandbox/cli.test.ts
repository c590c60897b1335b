/** `okta-partners-mcp sandbox`: flags, help and errors on stderr only, clean stop. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseSandboxArgs, runSandboxCli, SandboxUsageError } from "../../src/sandbox/cli.js";

/** Liveness bound for vi.waitFor (its 1 s default flakes on a busy machine). */
const WAIT = { timeout: 15_000, interval: 20 };

function fakeIo() {
  let stderr = "";
  let exitCode: number | undefined;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  return {
    io: {
      stderr: (text: string) => {
        stderr += text;
      },
      setExitCode: (code: number) => {
        exitCode = code;
      },
      waitForStop: () => stopped,
    },
    stderr: () => stderr,
    exitCode: () => exitCode,
    stop,
  };
}

describe("sandbox CLI flags", () => {
  it("defaults to port 4010 on 127.0.0.1 with nothing else set", () => {
    expect(parseSandboxArgs([])).toEqual({ help: false, options: { port: 4010, host: "127.0.0.1" } });
  });

  it("maps every flag to an option", () => {
    const parsed = parseSandboxArgs([
      "--port=0",
      "--host",
      "0.0.0.0",
      "--token",
      "sbx_cli_token_0001",
      "--scopes",
      "education.students.read, education.grades.read",
      "--rate-limit",
      "50",
      "--fail-before-write",
      "0.1",
      "--drop-after-write",
      "0.2",
      "--rate-limited",
      "0.05",
      "--retry-after",
      "2",
      "--latency",
      "30",
      "--seed",
      "9",
      "--webhook-url",
      "http://127.0.0.1:9999/hooks",
      "--webhook-secret",
      "s3cret",
    ]);
    expect(parsed).toEqual({
      help: false,
      options: {
        port: 0,
        host: "0.0.0.0",
        token: "sbx_cli_token_0001",
        scopes: ["education.students.read", "education.grades.read"],
        rateLimit: { limit: 50, windowMs: 60_000 },
        faults: {
          failBeforeWrite: 0.1,
          dropAfterWrite: 0.2,
          rateLimited: 0.05,
          retryAfterSeconds: 2,
          latencyMs: 30,
          seed: 9,
        },
        webhook: { url: "http://127.0.0.1:9999/hooks", secret: "s3cret" },
      },
    });
  });

  it.each([
    [["--bogus"], /bogus/],
    [["--port", "70000"], /--port/],
    [["--port", "abc"], /--port/],
    [["--scopes", "education.students.read,students.delete"], /students\.delete/],
    [["--fail-before-write", "2"], /--fail-before-write/],
    [["--rate-limited", "x"], /--rate-limited/],
    [["--webhook-url", "http://x"], /go together/],
    [["--webhook-url", "ftp://x", "--webhook-secret", "s"], /http/],
    [["--token", "short"], /--token/],
    [["extra"], /positional|Unexpected/i],
  ])("refuses %j", (argv, message) => {
    expect(() => parseSandboxArgs(argv)).toThrow(SandboxUsageError);
    expect(() => parseSandboxArgs(argv)).toThrow(message);
  });
});

describe("runSandboxCli", () => {
  let stdout: ReturnType<typeof vi.spyOn>;
  const level = process.env.LOG_LEVEL;
  beforeEach(() => {
    process.env.LOG_LEVEL = "silent";
    stdout = vi.spyOn(process.stdout, "write");
  });
  afterEach(() => {
    process.env.LOG_LEVEL = level;
    expect(stdout).not.toHaveBeenCalled();
    stdout.mockRestore();
  });

  it("--help prints the usage on stderr", async () => {
    const cli = fakeIo();
    await runSandboxCli(["--help"], cli.io);
    expect(cli.stderr()).toContain("Usage: okta-partners-mcp sandbox");
    expect(cli.exitCode()).toBeUndefined();
  });

  it("an unknown flag or scope exits 2 with a clear message", async () => {
    for (const argv of [["--nope"], ["--scopes", "nope.read"]]) {
      const cli = fakeIo();
      await runSandboxCli(argv, cli.io);
      expect(cli.exitCode()).toBe(2);
      expect(cli.stderr()).toMatch(/nope/);
      expect(cli.stderr()).toContain("--help");
    }
  });

  it("serves until told to stop, printing the base URL and token on stderr", async () => {
    const cli = fakeIo();
    const running = runSandboxCli(["--port", "0", "--token", "sbx_cli_token_0002"], cli.io);
    await vi.waitFor(() => expect(cli.stderr()).toContain("Token:    sbx_cli_token_0002"), WAIT);
    const baseUrl = /Base URL: (\S+)/.exec(cli.stderr())![1]!;
    const whoami = await fetch(`${baseUrl}/whoami`, {
      headers: { authorization: "Bearer sbx_cli_token_0002" },
    });
    expect(await whoami.json()).toMatchObject({ tenant_id: 42 });
    cli.stop();
    await running;
    expect(cli.stderr()).toContain("Sandbox stopped.");
    await expect(fetch(`${baseUrl}/whoami`)).rejects.toThrow();
  });

  it("a port in use exits 1 saying so", async () => {
    const first = fakeIo();
    const running = runSandboxCli(["--port", "0"], first.io);
    await vi.waitFor(() => expect(first.stderr()).toContain("Base URL"), WAIT);
    const port = /127\.0\.0\.1:(\d+)/.exec(first.stderr())![1]!;
    const second = fakeIo();
    await runSandboxCli(["--port", port], second.io);
    expect(second.exitCode()).toBe(1);
    expect(second.stderr()).toMatch(/could not start.*EADDRINUSE/);
    first.stop();
    await running;
  });
});
