/**
 * The fault soak: many writes through MCP against the sandbox with faults on, several clients at
 * once, then an audit from the sandbox's own records. Every logical write carries a unique marker
 * (a name, code or email), so a duplicate is two records with one marker.
 *
 * Verdict per write:
 * - reported success: exactly one record.
 * - reported failure saying the write may have happened, with the key to retry: zero or one
 *   record; the audit then repeats it (as a model would), half of them as the identical call with
 *   no key (the server's write memory must complete it under the first key: outcome "completed"),
 *   half with the offered key, and requires exactly one record and no duplicate afterwards.
 * - any other failure: no record.
 * Every tenth success is also re-sent identically with no key through the same client: it must
 * say "replayed" and add nothing. A first success must say "created" (markers are unique).
 */

import type { CallToolResult } from "@modelcontextprotocol/client";
import { Client, InMemoryTransport } from "@modelcontextprotocol/client";
import { Installation } from "../../src/installation.js";
import { silentLogger } from "../../src/logger.js";
import { type RandomFaults, type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { createServer } from "../../src/server.js";
import { CLI, connectStdioServer } from "./procs.js";

export const SOAK_FAULTS: RandomFaults = {
  failBeforeWrite: 0.1,
  dropAfterWrite: 0.1,
  rateLimited: 0.05,
  retryAfterSeconds: 1,
};

type Collection = "students" | "guardians" | "subjects" | "employees";

interface LogicalWrite {
  marker: string;
  tool: string;
  collection: Collection;
  /** The record field holding the marker. */
  field: "full_name" | "code" | "email";
  args: Record<string, unknown>;
}

function writeFor(run: string, i: number): LogicalWrite {
  const marker = `soak-${run}-${i}`;
  switch (i % 4) {
    case 0:
      return {
        marker,
        tool: "create_student",
        collection: "students",
        field: "full_name",
        args: {
          full_name: marker,
          gender: i % 8 === 0 ? "female" : "male",
          birth_date: "2015-03-02",
          grade_id: 5,
        },
      };
    case 1:
      return {
        marker,
        tool: "create_guardian",
        collection: "guardians",
        field: "full_name",
        args: { full_name: marker, phone: `+9665${String(10_000_000 + i).slice(-8)}`, relation: "mother" },
      };
    case 2:
      return {
        marker: marker.toUpperCase(),
        tool: "create_subject",
        collection: "subjects",
        field: "code",
        args: { name: `Soak subject ${i}`, code: marker.toUpperCase() },
      };
    default:
      return {
        marker: `${marker}@soak.example.com`,
        tool: "add_employee",
        collection: "employees",
        field: "email",
        args: {
          full_name: `Soak employee ${i}`,
          job_title: "Soak tester",
          email: `${marker}@soak.example.com`,
        },
      };
  }
}

interface McpCaller {
  callTool(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

async function inProcessCaller(sandbox: Sandbox): Promise<McpCaller> {
  const installation = new Installation({
    baseUrl: sandbox.baseUrl,
    token: sandbox.token,
    logger: silentLogger(),
  });
  await installation.refreshWhoami();
  const server = createServer(installation, {}, silentLogger());
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "soak", version: "1.0.0" });
  await server.mcp.connect(b);
  await client.connect(a);
  return {
    callTool: async (name, args) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    close: async () => {
      await client.close();
      await installation.close();
    },
  };
}

async function stdioCaller(sandbox: Sandbox): Promise<McpCaller> {
  const server = await connectStdioServer([CLI], {
    OKTA_PARTNER_TOKEN: sandbox.token,
    OKTA_API_BASE_URL: sandbox.baseUrl,
    LOG_LEVEL: "warn",
  });
  return {
    // Faults can make one call take several seconds (Retry-After, backoff): beyond the SDK's default.
    callTool: async (name, args) =>
      (await server.client.callTool(
        { name, arguments: args },
        {
          timeout: 60_000,
        },
      )) as CallToolResult,
    close: () => server.close(),
  };
}

const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

/** The key a failure offers for a safe retry, when it says the write may have happened. */
export function retryKeyOf(text: string): string | undefined {
  if (!/may or may not have been applied/i.test(text)) return undefined;
  return text.match(/idempotency_key "([A-Za-z0-9_-]{8,128})"/)?.[1];
}

export interface SoakOptions {
  writes: number;
  /** MCP clients (each one MCP connection) and calls in flight on each. */
  stdioClients: number;
  inProcessClients: number;
  callsPerClient: number;
  faults?: RandomFaults;
  seed?: number;
  log?: (line: string) => void;
}

export interface SoakReport {
  writes: number;
  clients: { stdio: number; inProcess: number; inFlightEach: number };
  seconds: number;
  reportedSuccess: number;
  reportedMaybe: number;
  reportedFailed: number;
  recordsCreated: number;
  duplicates: number;
  lost: number;
  /** Failures that said "may have happened" and had made a record: recovered by a retry with the key. */
  maybeApplied: number;
  retriesWithKeyOk: number;
  /** Maybe-failures completed by the identical call with no key (outcome "completed"). */
  completedByIdenticalCall: number;
  /** Every tenth success re-sent identically with no key: answered "replayed", nothing added. */
  successResendsReplayed: number;
  /** Whether each fault actually happened during the run (from the sandbox's request log). */
  faultsSeen: Record<string, number>;
  requests: number;
  problems: string[];
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => {});
  const sandbox = await startSandbox({
    faults: { ...(options.faults ?? SOAK_FAULTS), seed: options.seed ?? 1 },
    rateLimit: { limit: 0, windowMs: 60_000 },
  });
  const callers: McpCaller[] = [];
  const faultsSeen: Record<string, number> = {};
  let requests = 0;
  const countRequests = () => {
    for (const r of sandbox.requests) {
      requests++;
      if (r.fault) faultsSeen[r.fault] = (faultsSeen[r.fault] ?? 0) + 1;
    }
    sandbox.clearRequests();
  };
  try {
    for (let i = 0; i < options.stdioClients; i++) callers.push(await stdioCaller(sandbox));
    for (let i = 0; i < options.inProcessClients; i++) callers.push(await inProcessCaller(sandbox));
    const run = `${Date.now().toString(36)}`;
    const plan = Array.from({ length: options.writes }, (_, i) => writeFor(run, i));
    const outcome = new Map<
      string,
      { kind: "ok" | "maybe" | "failed"; text: string; key?: string; said?: string; caller: McpCaller }
    >();
    const started = performance.now();
    let next = 0;
    let done = 0;
    // The request log is bounded: drain it while the run goes.
    const drain = setInterval(countRequests, 250);
    await Promise.all(
      callers.flatMap((caller) =>
        Array.from({ length: options.callsPerClient }, async () => {
          for (let i = next++; i < plan.length; i = next++) {
            const w = plan[i]!;
            const result = await caller.callTool(w.tool, w.args);
            const text = textOf(result);
            const key = result.isError ? retryKeyOf(text) : undefined;
            const said = (result.structuredContent as { outcome?: string } | undefined)?.outcome;
            outcome.set(w.marker, {
              kind: result.isError ? (key ? "maybe" : "failed") : "ok",
              text,
              caller,
              ...(key ? { key } : {}),
              ...(said ? { said } : {}),
            });
            if (++done % 250 === 0) log(`  ${done}/${plan.length} writes`);
          }
        }),
      ),
    );
    clearInterval(drain);
    countRequests();
    const seconds = (performance.now() - started) / 1000;

    const count = (collection: Collection, field: string) => {
      const counts = new Map<string, number>();
      for (const r of sandbox.records<Record<string, unknown>>(sandbox.tenantId, collection)) {
        const v = r[field];
        if (typeof v === "string" && v.toLowerCase().includes("soak-")) {
          counts.set(v, (counts.get(v) ?? 0) + 1);
        }
      }
      return counts;
    };
    const audit = () => {
      const all = new Map<string, number>();
      for (const [collection, field] of [
        ["students", "full_name"],
        ["guardians", "full_name"],
        ["subjects", "code"],
        ["employees", "email"],
      ] as const) {
        for (const [k, v] of count(collection, field)) all.set(k, v);
      }
      return all;
    };

    const problems: string[] = [];
    let counts = audit();
    const recordsCreated = [...counts.values()].reduce((s, n) => s + n, 0);
    let lost = 0;
    let maybeApplied = 0;
    for (const w of plan) {
      const o = outcome.get(w.marker)!;
      const n = counts.get(w.marker) ?? 0;
      if (o.kind === "ok" && o.said !== "created") {
        problems.push(`${w.tool} ${w.marker}: a first success said "${o.said}", not "created"`);
      }
      if (o.kind === "ok" && n !== 1) {
        lost++;
        problems.push(`${w.tool} ${w.marker} reported success but has ${n} records`);
      }
      if (o.kind === "failed" && n !== 0) {
        lost++;
        problems.push(
          `${w.tool} ${w.marker} reported failure without a retry key but has ${n} record(s): ${o.text}`,
        );
      }
      if (o.kind === "maybe" && n > 1) problems.push(`${w.tool} ${w.marker} has ${n} records`);
      if (o.kind === "maybe" && n === 1) maybeApplied++;
    }
    // The promised recovery: the identical call again (no key: the write memory supplies the first
    // one) or a retry with the offered key must land exactly one record.
    let retriesWithKeyOk = 0;
    let completedByIdenticalCall = 0;
    let successResendsReplayed = 0;
    const repeat = async (caller: McpCaller, tool: string, args: Record<string, unknown>) => {
      let result: CallToolResult | undefined;
      for (let attempt = 0; attempt < 5; attempt++) {
        result = await caller.callTool(tool, args);
        if (!result.isError) break;
      }
      return result;
    };
    const saidOf = (r: CallToolResult | undefined) =>
      (r?.structuredContent as { outcome?: string } | undefined)?.outcome;
    let nth = 0;
    let maybeSeen = 0;
    for (const w of plan) {
      const o = outcome.get(w.marker)!;
      if (o.kind === "ok" && nth++ % 10 === 0) {
        const result = await repeat(o.caller, w.tool, w.args);
        if (result && !result.isError && saidOf(result) === "replayed") successResendsReplayed++;
        else
          problems.push(
            `${w.tool} ${w.marker}: identical re-send said ${saidOf(result)}: ${result ? textOf(result) : ""}`,
          );
      }
      if (o.kind !== "maybe") continue;
      const withKey = maybeSeen++ % 2 === 1;
      const result = withKey
        ? await repeat(o.caller, w.tool, { ...w.args, idempotency_key: o.key })
        : await repeat(o.caller, w.tool, w.args);
      if (result && !result.isError && (withKey || saidOf(result) === "completed")) {
        if (withKey) retriesWithKeyOk++;
        else completedByIdenticalCall++;
      } else
        problems.push(
          `${w.tool} ${w.marker}: ${withKey ? `retry with key ${o.key}` : "identical re-send"} answered ${saidOf(result)}: ${result ? textOf(result) : ""}`,
        );
    }
    countRequests();
    counts = audit();
    const duplicates = [...counts.values()].filter((n) => n > 1).length;
    for (const w of plan) {
      const o = outcome.get(w.marker)!;
      if (o.kind === "maybe" && (counts.get(w.marker) ?? 0) !== 1) {
        lost++;
        problems.push(
          `${w.tool} ${w.marker}: after the retry with its key, ${counts.get(w.marker) ?? 0} records`,
        );
      }
    }
    const kinds = [...outcome.values()];
    return {
      writes: plan.length,
      clients: {
        stdio: options.stdioClients,
        inProcess: options.inProcessClients,
        inFlightEach: options.callsPerClient,
      },
      seconds,
      reportedSuccess: kinds.filter((o) => o.kind === "ok").length,
      reportedMaybe: kinds.filter((o) => o.kind === "maybe").length,
      reportedFailed: kinds.filter((o) => o.kind === "failed").length,
      recordsCreated,
      duplicates,
      lost,
      maybeApplied,
      retriesWithKeyOk,
      completedByIdenticalCall,
      successResendsReplayed,
      faultsSeen,
      requests,
      problems,
    };
  } finally {
    await Promise.all(callers.map((c) => c.close().catch(() => {})));
    await sandbox.stop();
  }
}
