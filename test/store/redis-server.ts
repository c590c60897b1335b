/**
 * A real Redis for the tests: REDIS_TEST_URL when given (CI starts one), else a private
 * redis-server on a free loopback port when the binary exists. Without either, the Redis suites
 * are skipped locally but FAIL under CI, so a CI that lost its Redis cannot pass silently.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { delimiter, join } from "node:path";
import { Redis } from "ioredis";
import { afterAll } from "vitest";
import { Installation } from "../../src/installation.js";
import { silentLogger } from "../../src/logger.js";
import { RedisSharedStore } from "../../src/store/redis.js";
import type { RedisQueueSettings } from "../../src/store/webhook-queue.js";
import type { HttpServerHandle } from "../../src/transport/http.js";
import { startServer } from "../e2e/http-harness.js";
import { freePort } from "../e2e/webhook-harness.js";

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

/** The binary's path on PATH (or in `extraDirs`), or undefined. */
export function onPath(binary: string, extraDirs: string[] = []): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(delimiter), ...extraDirs]) {
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("error", () => resolve(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (d) => {
      socket.destroy();
      resolve(d.toString().startsWith("+PONG"));
    });
  });
}

export async function redisForTests(): Promise<TestRedis | undefined> {
  const given = process.env.REDIS_TEST_URL?.trim();
  if (given) return { url: given, stop: async () => {} };
  const binary = onPath("redis-server");
  if (!binary) {
    if (process.env.CI) {
      throw new Error("CI has neither REDIS_TEST_URL nor a redis-server binary: the Redis tests cannot run");
    }
    return undefined;
  }
  return startRedisServer(binary);
}

/** A private redis-server (no persistence) on a free loopback port; stop() ends it. */
export async function startRedisServer(binary: string): Promise<TestRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const deadline = Date.now() + 10_000;
  while (!(await pingOnce(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill("SIGKILL");
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * The Redis connections one describe block opens, closed after it. `store()` is a new
 * RedisSharedStore (another instance, as far as state goes; `url` defaults to the test Redis),
 * `raw` a plain client (opened on first use) to look at keys and TTLs. Called inside the describe:
 * the URL is read only when a test asks, so a block skipped without Redis opens nothing.
 */
export function redisConnections(redis: TestRedis | undefined) {
  const stores: RedisSharedStore[] = [];
  let raw: Redis | undefined;
  const url = () => {
    if (!redis) throw new Error("no test Redis: the block should have been skipped");
    return redis.url;
  };
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    raw?.disconnect();
  });
  return {
    store(storeUrl = url()): RedisSharedStore {
      const store = new RedisSharedStore({ url: storeUrl, logger: silentLogger() });
      stores.push(store);
      return store;
    },
    get raw(): Redis {
      raw ??= new Redis(url());
      return raw;
    },
  };
}

export interface RedisInstance {
  server: HttpServerHandle;
  installation: Installation;
  store: RedisSharedStore;
}

/**
 * One instance of a deployment on a shared Redis: its own store connection, the installation
 * under the name every instance gives it ("north"), and the HTTP server with a webhook secret.
 */
export async function redisInstance(opts: {
  url: string;
  baseUrl: string;
  token: string;
  webhookSecret: string;
  apiKey: string;
  queue?: Partial<RedisQueueSettings>;
}): Promise<RedisInstance> {
  const store = new RedisSharedStore({ url: opts.url, logger: silentLogger(), webhookQueue: opts.queue });
  const installation = new Installation({
    baseUrl: opts.baseUrl,
    token: opts.token,
    name: "north",
    logger: silentLogger(),
    sharedStore: store,
  });
  await installation.refreshWhoami();
  const server = await startServer(
    { installation, apiKey: opts.apiKey },
    { env: {}, store, webhooks: { secrets: [{ secret: opts.webhookSecret }] } },
  );
  return { server, installation, store };
}

/** A TCP relay to Redis that a test can cut (Redis unreachable) and restore on the same port. */
export async function redisRelay(
  targetPort: number,
): Promise<{ port: number; down(): Promise<void>; up(): Promise<void> }> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        sockets.add(client);
        const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
        sockets.add(upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on("error", drop).on("close", drop);
        upstream.on("error", drop).on("close", drop);
      });
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
  await listen();
  return {
    port,
    down: async () => {
      const closed = new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closed;
    },
    up: listen,
  };
}
