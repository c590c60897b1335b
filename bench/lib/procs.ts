/**
 * Child processes for the benches: the sandbox in its own process, MCP servers over stdio (ours
 * and the floor), and small readings of a process (RSS). Everything binds loopback only.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
export const FLOOR = fileURLToPath(new URL("../floor-server.mjs", import.meta.url));
export const BENCH_HTTP = fileURLToPath(new URL("../http-server.mjs", import.meta.url));
export const FLOOR_HTTP = fileURLToPath(new URL("../floor-http-server.mjs", import.meta.url));
export const FLOOR_MODERN_HTTP = fileURLToPath(new URL("../floor-modern-server.mjs", import.meta.url));
export const NODE = process.execPath;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves when `pattern` shows up in the child's stderr (or stdout), rejects on exit or timeout. */
function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for ${pattern} in:\n${seen}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const m = seen.match(pattern);
      if (m) {
        cleanup();
        resolve(m);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`process exited (${code}) before ready:\n${seen}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stderr?.off("data", onData);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
    };
    child.stderr?.on("data", onData);
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
  });
}

export interface ChildHandle {
  child: ChildProcess;
  pid: number;
  stop: () => Promise<void>;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
}

export interface SandboxProcess extends ChildHandle {
  baseUrl: string;
  token: string;
}

/** `node dist/cli.js sandbox` in its own process, so its CPU is not the bench's. */
export async function startSandboxProcess(extraArgs: string[] = []): Promise<SandboxProcess> {
  const port = await freePort();
  const token = `bench-token-${process.pid}-${port}`;
  const child = spawn(
    NODE,
    [CLI, "sandbox", "--port", String(port), "--rate-limit", "0", "--token", token, ...extraArgs],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LOG_LEVEL: "warn" } },
  );
  child.stdout?.resume();
  await waitForOutput(child, new RegExp(`127\\.0\\.0\\.1:${port}`), 15_000);
  child.stderr?.resume();
  return {
    child,
    pid: child.pid!,
    baseUrl: `http://127.0.0.1:${port}/api/apps`,
    token,
    stop: () => stopChild(child),
  };
}

export interface HttpServerProcess extends ChildHandle {
  url: string;
  apiKey: string;
}

/** Our server with `--transport http` in its own process against `api`. */
export async function startHttpServerProcess(
  api: { baseUrl: string; token: string },
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<HttpServerProcess> {
  const port = await freePort();
  const apiKey = `bench-api-key-${process.pid}-${port}-0123456789`;
  const child = spawn(NODE, [CLI, "--transport", "http", "--port", String(port), ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      OKTA_PARTNER_TOKEN: api.token,
      OKTA_API_BASE_URL: api.baseUrl,
      OKTA_MCP_API_KEY: apiKey,
      LOG_LEVEL: "warn",
      ...env,
    },
  });
  let log = "";
  child.stdout?.on("data", (c: Buffer) => {
    log += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    log = (log + c.toString()).slice(-20_000);
  });
  // Ready once the port answers.
  const started = performance.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`HTTP server exited (${child.exitCode}):\n${log}`);
    try {
      await fetch(`http://127.0.0.1:${port}/mcp`, { method: "GET", signal: AbortSignal.timeout(500) });
      break;
    } catch {
      if (performance.now() - started > 15_000) throw new Error(`HTTP server not up:\n${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    child,
    pid: child.pid!,
    url: `http://127.0.0.1:${port}/mcp`,
    apiKey,
    stop: () => stopChild(child),
  };
}

/** Which HTTP server a load run measures: ours, or an SDK floor making the same upstream read. */
export type BenchServer =
  /** `checkout`: ours as built in another checkout (its own bench/http-server.mjs and dist/). */
  | { kind: "ours"; stateless: boolean; checkout?: string | undefined }
  | { kind: "floor"; sdk: "v1" | "v2"; era: "legacy"; stateless: boolean }
  | { kind: "floor"; sdk: "v2"; era: "modern" };

/**
 * Our HTTP server for the load benches (bench/http-server.mjs: startHttpServer on the built JS with
 * the per-key caps lifted), or a floor (floor-http-server.mjs on v1 or v2, floor-modern-server.mjs),
 * in its own process against `api`.
 */
export async function startBenchHttpServer(
  api: { baseUrl: string; token: string },
  server: BenchServer,
): Promise<HttpServerProcess> {
  const apiKey = `bench-api-key-${process.pid}-${Date.now()}-0123456789`;
  const script =
    server.kind === "floor"
      ? server.era === "modern"
        ? FLOOR_MODERN_HTTP
        : FLOOR_HTTP
      : server.checkout
        ? join(server.checkout, "bench", "http-server.mjs")
        : BENCH_HTTP;
  // The server's log goes to a file, as under a supervisor: read through a pipe, its one line per
  // call would cost the load generator's event loop CPU that the floors, which log nothing, never
  // charge it. The server still writes every line.
  const logFile = join(tmpdir(), `okta-mcp-bench-${process.pid}-${Date.now()}.log`);
  const logFd = openSync(logFile, "w");
  const child = spawn(NODE, [script], {
    stdio: ["ignore", "pipe", logFd],
    env: {
      PATH: process.env.PATH ?? "",
      OKTA_PARTNER_TOKEN: api.token,
      OKTA_API_BASE_URL: api.baseUrl,
      OKTA_MCP_API_KEY: apiKey,
      BENCH_STATELESS: "stateless" in server && server.stateless ? "1" : "0",
      BENCH_SDK: server.kind === "floor" ? server.sdk : "v2",
      // As shipped: one info line per tool call.
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "info",
    },
  });
  closeSync(logFd);
  const [, url] = await waitForOutput(child, /\{"url":"([^"]+)"\}/, 15_000).catch((error: Error) => {
    throw new Error(`${error.message}\n${readFileSync(logFile, "utf8").slice(-4000)}`);
  });
  child.stdout?.resume();
  const stop = async () => {
    await stopChild(child);
    rmSync(logFile, { force: true });
  };
  return { child, pid: child.pid!, url: url!, apiKey, stop };
}

export interface StdioServer {
  client: Client;
  pid: number;
  stderr: () => string;
  close: () => Promise<void>;
}

/** An MCP server over stdio (ours or the floor), driven by the SDK's own Client. */
export async function connectStdioServer(args: string[], env: Record<string, string>): Promise<StdioServer> {
  const transport = new StdioClientTransport({
    command: NODE,
    args,
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn", ...env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(transport);
  return {
    client,
    pid: transport.pid!,
    stderr: () => stderr,
    close: () => client.close(),
  };
}

/** Resident set size of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(status.match(/VmRSS:\s+(\d+)\s+kB/)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/**
 * CPU time (user + system) a process has used so far, in ms (Linux /proc; 10 ms ticks). Under a
 * saturated CPU the throughput of servers sharing it moves with everything else; the CPU each
 * spends per call does not, so the load bench reports both.
 */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) in parentheses: utime is the 14th, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every Linux this runs on (`getconf CLK_TCK`). */
const CLOCK_TICKS_PER_SECOND = 100;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
