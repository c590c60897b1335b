/**
 * HTTP load: N concurrent clients each calling one read in a loop for a fixed time, through our
 * Streamable HTTP server (stateful: a session per client; stateless: no sessions), against the same
 * load sent straight to the sandbox. Calls per second, latency, errors.
 */
import { Pool } from "undici";
import { type Era, LightMcpClient, NotModernError } from "./mcp-http.js";
import { cpuMs } from "./procs.js";
import { type Latency, latency } from "./stats.js";

export interface LoadRun {
  clients: number;
  seconds: number;
  calls: number;
  errors: number;
  firstError?: string;
  callsPerSecond: number;
  latencyMs: Latency;
  /** The server's CPU time (user + system) per call served, in µs, when its pid is known. */
  cpuUsPerCall?: number;
}

/** Drives `clients` loops of `call` for `seconds`; each loop awaits its call before the next. */
async function drive(
  clients: number,
  seconds: number,
  call: (client: number, i: number) => Promise<unknown>,
): Promise<Omit<LoadRun, "clients" | "seconds">> {
  const samples: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const endAt = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; performance.now() < endAt; i++) {
        const t0 = performance.now();
        try {
          await call(c, i);
          samples.push(performance.now() - t0);
        } catch (error) {
          errors++;
          firstError ??= error instanceof Error ? error.message : String(error);
          // An error loop must not spin: a short pause keeps a broken target from hiding in speed.
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return {
    calls: samples.length,
    errors,
    firstError,
    callsPerSecond: samples.length / elapsed,
    latencyMs: latency(samples),
  };
}

const studentId = (client: number, i: number) => ((client * 7 + i) % 1000) + 1;

export async function directLoad(
  api: { baseUrl: string; token: string },
  clients: number,
  seconds: number,
): Promise<LoadRun> {
  const base = new URL(api.baseUrl);
  const pool = new Pool(base.origin, { connections: clients });
  const headers = { authorization: `Bearer ${api.token}`, accept: "application/json" };
  try {
    const run = await drive(clients, seconds, async (c, i) => {
      const res = await pool.request({
        method: "GET",
        path: `${base.pathname}/education/students/${studentId(c, i)}`,
        headers,
      });
      const text = await res.body.text();
      if (res.statusCode !== 200)
        throw new Error(`sandbox answered ${res.statusCode}: ${text.slice(0, 200)}`);
      JSON.parse(text);
    });
    return { clients, seconds, ...run };
  } finally {
    await pool.close();
  }
}

export async function mcpLoad(
  server: { url: string; apiKey: string; pid?: number },
  clients: number,
  seconds: number,
  era: Era = "legacy",
): Promise<LoadRun> {
  const pool = new Pool(new URL(server.url).origin, { connections: clients });
  try {
    const mcp = Array.from(
      { length: clients },
      () => new LightMcpClient(pool, server.url, server.apiKey, era),
    );
    // Sessions (2026: discover probes) are opened before the clock starts, a few at a time.
    for (let i = 0; i < mcp.length; i += 25)
      await Promise.all(mcp.slice(i, i + 25).map((m) => m.initialize()));
    const cpuBefore = server.pid === undefined ? undefined : cpuMs(server.pid);
    const run = await drive(clients, seconds, (c, i) =>
      mcp[c]!.callTool("get_student", { id: studentId(c, i) }),
    );
    const cpu =
      cpuBefore === undefined || server.pid === undefined || run.calls === 0
        ? {}
        : { cpuUsPerCall: ((cpuMs(server.pid) - cpuBefore) * 1000) / run.calls };
    return { clients, seconds, ...run, ...cpu };
  } finally {
    await pool.close();
  }
}

/**
 * Why the server cannot be measured on the 2026-07-28 path, or undefined when it answers a
 * `server/discover` probe offering that revision.
 */
export async function whyNotModern(server: { url: string; apiKey: string }): Promise<string | undefined> {
  const pool = new Pool(new URL(server.url).origin, { connections: 1 });
  try {
    await new LightMcpClient(pool, server.url, server.apiKey, "modern").initialize();
    return undefined;
  } catch (error) {
    if (error instanceof NotModernError) return error.message;
    throw error;
  } finally {
    await pool.close();
  }
}

/** Opens `count` sessions and keeps them; returns the clients (to close by DELETE afterwards). */
export async function openSessions(
  server: { url: string; apiKey: string },
  count: number,
  pool: Pool,
): Promise<LightMcpClient[]> {
  const mcp = Array.from({ length: count }, () => new LightMcpClient(pool, server.url, server.apiKey));
  for (let i = 0; i < mcp.length; i += 20) await Promise.all(mcp.slice(i, i + 20).map((m) => m.initialize()));
  return mcp;
}
