/**
 * The real thing on loopback, as a district runs it: a private redis-server, three instances of
 * the built bin (one installations file, one REDIS_URL, one request-state key and webhook secret,
 * default limits), and HAProxy in front running deploy/haproxy.cfg exactly as shipped (it reads
 * the addresses from its environment). The sandbox runs in the test process; every instance
 * points at it. Without redis-server or haproxy the suites are skipped locally and FAIL under CI.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ALL_SCOPES } from "../../src/platform/scopes.js";
import type { Sandbox, SandboxOptions } from "../../src/sandbox/index.js";
import { sha256Hex } from "../../src/transport/client-auth.js";
import type { HttpServerHandle } from "../../src/transport/http.js";
import { loopbackHandle, type RunningBin, startHttpBin } from "../e2e/http-bin.js";
import { waitFor } from "../e2e/http-harness.js";
import { freePort, sandboxWith } from "../helpers.js";
import { onPath, startRedisServer, type TestRedis } from "../store/redis-server.js";

export const HAPROXY_CONFIG = fileURLToPath(new URL("../../deploy/haproxy.cfg", import.meta.url));
export const WEBHOOK_SECRET = "whsec_cluster_0123456789abcdef";
export const SANDBOX_TOKEN = "sbx_cluster_north_0001";
/** The demo school every instance serves. */
export const TENANT = 42;

export interface Binaries {
  redisServer: string;
  haproxy: string;
}

/** redis-server and haproxy, or undefined locally when one is missing (under CI: an error). */
export function clusterBinaries(): Binaries | undefined {
  const redisServer = onPath("redis-server");
  // Debian puts haproxy in /usr/sbin, which a non-root PATH may lack.
  const haproxy = onPath("haproxy", ["/usr/sbin", "/usr/local/sbin", "/sbin"]);
  if (redisServer && haproxy) return { redisServer, haproxy };
  const missing = [redisServer ? undefined : "redis-server", haproxy ? undefined : "haproxy"].filter(Boolean);
  if (process.env.CI) {
    throw new Error(
      `CI lacks ${missing.join(" and ")}: the cluster tests cannot run (.ci/run installs them)`,
    );
  }
  return undefined;
}

/** One pino line of an instance's stderr. */
export interface LogLine {
  msg?: string;
  [field: string]: unknown;
}

export interface Instance {
  /** mcp1, mcp2, mcp3: the names the balancer knows them by. */
  readonly name: string;
  readonly handle: HttpServerHandle;
  /** Every complete log line so far. */
  logs(): LogLine[];
  readonly exited: () => boolean;
  /** The process id (the webhook queue names its consumer `<host>:<pid>:<random>`). */
  readonly pid: number;
  /** kill -9, then wait for the process to be gone. */
  kill9(): Promise<void>;
}

export interface Cluster {
  sandbox: Sandbox;
  redisUrl: string;
  instances: [Instance, Instance, Instance];
  /** HAProxy's frontend. */
  balancer: HttpServerHandle;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** The API keys that select the one installation ("north"): one per test keeps rate budgets apart. */
  keys: string[];
  sandbox?: SandboxOptions;
  /** Extra environment for instance 0, 1 or 2 (knobs a test needs on one instance only). */
  instanceEnv?: (index: number) => Record<string, string>;
}

export async function startCluster(binaries: Binaries, options: ClusterOptions): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "okta-mcp-cluster-"));
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const sandbox = await sandboxWith({
      installations: [{ token: SANDBOX_TOKEN, scopes: ALL_SCOPES, tenantId: TENANT }],
      ...options.sandbox,
    });
    stops.push(() => sandbox.stop());
    const redis: TestRedis = await startRedisServer(binaries.redisServer);
    stops.push(() => redis.stop());

    const installationsFile = join(dir, "installations.json");
    writeFileSync(
      installationsFile,
      JSON.stringify({
        installations: [
          {
            name: "north",
            token_env: "NORTH_TOKEN",
            base_url: sandbox.baseUrl,
            api_key_sha256: options.keys.map(sha256Hex),
          },
        ],
      }),
    );
    const shared = {
      NORTH_TOKEN: SANDBOX_TOKEN,
      REDIS_URL: redis.url,
      OKTA_MCP_REQUEST_STATE_KEY: randomBytes(32).toString("hex"),
      OKTA_WEBHOOK_SECRET: WEBHOOK_SECRET,
    };
    const bins = await Promise.all(
      [0, 1, 2].map((i) =>
        startHttpBin(["--installations", installationsFile], { ...shared, ...options.instanceEnv?.(i) }),
      ),
    );
    const instances = bins.map((bin, i) => instanceOf(`mcp${i + 1}`, bin)) as Cluster["instances"];
    for (const bin of bins) stops.push(() => endProcess(bin.child, bin.exit));

    const balancer = await startBalancer(
      binaries.haproxy,
      instances.map((i) => i.handle.port),
    );
    stops.push(balancer.stop);
    return { sandbox, redisUrl: redis.url, instances, balancer: balancer.handle, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function instanceOf(name: string, bin: RunningBin): Instance {
  let exited = false;
  void bin.exit.then(() => {
    exited = true;
  });
  return {
    name,
    handle: bin.handle,
    logs: () =>
      bin
        .stderr()
        .split("\n")
        .filter((line) => line.startsWith("{") && line.endsWith("}"))
        .map((line) => JSON.parse(line) as LogLine),
    exited: () => exited,
    pid: bin.child.pid ?? -1,
    kill9: async () => {
      bin.child.kill("SIGKILL");
      await bin.exit;
    },
  };
}

/** SIGTERM, and SIGKILL if it is still there after 10 s: a test never leaves a process behind. */
async function endProcess(child: ChildProcess, exit: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exit;
  clearTimeout(timer);
}

async function startBalancer(
  haproxy: string,
  ports: number[],
): Promise<{ handle: HttpServerHandle; stop: () => Promise<void> }> {
  const port = await freePort();
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", MCP_BIND: `127.0.0.1:${port}` };
  ports.forEach((p, i) => {
    env[`MCP_SERVER_${i + 1}`] = `127.0.0.1:${p}`;
  });
  // -db: stay in the foreground whatever the file says, so the test owns the one process.
  const child = spawn(haproxy, ["-db", "-f", HAPROXY_CONFIG], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (c: Buffer) => {
    output += c.toString();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const handle = loopbackHandle(port);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited at start:\n${output}`);
    const ok = await fetch(`${handle.url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`haproxy did not answer /healthz on ${port}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { handle, stop: () => endProcess(child, exit) };
}

/** Tool calls (of one tool, if named) an instance has logged: one line per call, served or refused. */
export function toolCallsOf(instance: Instance, tool?: string): LogLine[] {
  return instance.logs().filter((l) => l.msg === "tool call" && (tool === undefined || l.tool === tool));
}

/** Ids of the sessions an instance opened (streamable and legacy SSE). */
export function sessionsOpenedBy(instance: Instance): string[] {
  return instance
    .logs()
    .filter((l) => l.msg === "session opened")
    .map((l) => String(l.session));
}

export function sessionsClosedBy(instance: Instance): string[] {
  return instance
    .logs()
    .filter((l) => l.msg === "session closed")
    .map((l) => String(l.session));
}

/** Waits until the instances' logs hold `n` more tool calls than `before` (logs may be flushed late). */
export async function waitForToolCalls(
  instances: readonly Instance[],
  before: readonly number[],
  n: number,
  tool?: string,
): Promise<number[]> {
  const served = () => instances.map((inst, i) => toolCallsOf(inst, tool).length - (before[i] ?? 0));
  await waitFor(
    () => served().reduce((a, b) => a + b, 0) >= n,
    15_000,
    `${n} tool calls in the instances' logs`,
  );
  return served();
}
