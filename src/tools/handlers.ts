/**
 * The success paths of the tools, by response shape. They receive arguments already validated
 * and split; failures are thrown and mapped by the seam (registry.ts).
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { ApiResponse } from "../client/client.js";
import { ApiError } from "../client/errors.js";
import type { Installation, StoredReportRun } from "../installation.js";
import { type Endpoint, fillPath } from "../platform/catalog.js";
import { writeFingerprint } from "../store/write-memory.js";
import { sanitize } from "../text/clean.js";
import { InvalidArgumentsError } from "./errors.js";
import { runList } from "./lists.js";
import { validateReportParams } from "./report-params.js";
import { capItems, projectFields, toolResult } from "./results.js";
import { DEFAULT_REPORT_ROWS, type WriteOutcome } from "./schemas.js";

export interface CallArgs {
  path: Record<string, unknown>;
  query: Record<string, string | number | boolean | undefined>;
  body: Record<string, unknown> | undefined;
  /** A list's own filters (the catalog's `filters`), matched by the server, never sent. */
  filters: Record<string, unknown>;
  fields?: string[];
  allPages?: boolean;
  maxItems?: number;
  /** Where an all_pages or filtered listing resumes (from its `next`). */
  offset?: number;
  /** The scan of a filtered listing to reuse (from its `next`). */
  cursor?: string;
  countOnly?: boolean;
  /** A stored report run to page, and the window of its rows. */
  runId?: string;
  rowOffset?: number;
  rowLimit?: number;
  idempotencyKey?: string;
  /** All arguments as given, less the local options: what makes two writes "identical". */
  request: Record<string, unknown>;
  /** All arguments as given, local options included: what a `next` continues from. */
  arguments: Record<string, unknown>;
}

export interface HandlerContext {
  installation: Installation;
  maxResultBytes: number;
  signal: AbortSignal;
  /** Reports progress when the client asked for it (a progress token); a no-op otherwise. */
  progress: (progress: number, total: number, message: string) => Promise<void>;
  /** Attempts made by the API client, for the one log line per call. */
  attempts: number;
  /** One overall deadline for a call that walks pages (all_pages, a filtered listing's scan). */
  pagingDeadlineMs: number;
}

export async function runEndpoint(
  endpoint: Endpoint,
  args: CallArgs,
  ctx: HandlerContext,
): Promise<CallToolResult> {
  if (endpoint.tool === "whoami") return whoami(ctx);
  if (endpoint.tool === "run_report") return runReport(endpoint, args, ctx);
  if (endpoint.response === "list") return runList(endpoint, args, ctx);
  if (endpoint.method === "GET") return read(endpoint, args, ctx);
  return write(endpoint, args, ctx);
}

async function whoami(ctx: HandlerContext): Promise<CallToolResult> {
  const who = await ctx.installation.refreshWhoami();
  ctx.attempts = 1;
  const data = sanitize({ ...who, ...(ctx.installation.sandbox ? { sandbox: true } : {}) }) as Record<
    string,
    unknown
  >;
  const note = ctx.installation.sandbox
    ? "SANDBOX: demo data of a fictional school, not a real tenant."
    : `Tenant ${who.tenant_id}, ${who.scopes.length} scopes granted.`;
  return toolResult(data, note);
}

async function read(endpoint: Endpoint, args: CallArgs, ctx: HandlerContext): Promise<CallToolResult> {
  const res = await ctx.installation.client.request<{ data: unknown }>({
    method: "GET",
    path: fillPath(endpoint.path, args.path),
    signal: ctx.signal,
  });
  ctx.attempts = res.attempts;
  const data = sanitize(res.body?.data);
  if (endpoint.response === "collection") {
    const items = Array.isArray(data) ? data : [];
    const capped = capItems(
      items,
      100,
      ctx.maxResultBytes,
      "The list is longer than this server's result cap.",
    );
    return toolResult({ data: capped.items, ...(capped.truncated ? { truncated: capped.truncated } : {}) });
  }
  return toolResult({ data: projectFields(data, args.fields) });
}

/** An identical call in flight elsewhere is waited for this long before this one gives up. */
const IN_FLIGHT_WAIT_MS = 30_000;

function recordNoun(endpoint: Endpoint): string {
  return endpoint.kind === "send" ? "message" : endpoint.tool.replace(/^[a-z]+_/, "").replace(/_/g, " ");
}

async function write(endpoint: Endpoint, args: CallArgs, ctx: HandlerContext): Promise<CallToolResult> {
  const installation = ctx.installation;
  const request = {
    method: endpoint.method,
    path: fillPath(endpoint.path, args.path),
    body: args.body ?? {},
    signal: ctx.signal,
  };
  if (endpoint.kind === "update") {
    // Never remembered across calls: each update reaches the platform (its key covers its own retries).
    const res = await installation.client.request<{ data: unknown }>({
      ...request,
      ...(args.idempotencyKey ? { idempotencyKey: args.idempotencyKey } : {}),
    });
    ctx.attempts = res.attempts;
    return writeResult(endpoint, "updated", sanitize(res.body?.data), res.attempts);
  }

  // The caller's key is part of the fingerprint: a new key is a deliberate second write.
  const claim = await installation.writeMemory.claim(
    writeFingerprint(installation.id, endpoint.tool, {
      ...args.request,
      idempotency_key: args.idempotencyKey,
    }),
    args.idempotencyKey,
    { maxWaitMs: IN_FLIGHT_WAIT_MS, signal: ctx.signal },
  );
  let res: ApiResponse<{ data: unknown }>;
  try {
    res = await installation.client.request<{ data: unknown }>({ ...request, idempotencyKey: claim.key });
  } catch (error) {
    // A definite refusal (4xx) or a request that never left leaves nothing to replay or complete.
    const unknown =
      error instanceof ApiError && error.maybeApplied && !(error.status >= 400 && error.status < 500);
    await claim.settle(unknown ? "unknown" : "refused");
    throw error;
  }
  await claim.settle("succeeded");
  ctx.attempts = res.attempts;
  const outcome = outcomeOf(endpoint, res, claim.earlier);
  const ago = claim.earlier ? Math.max(0, Math.round((Date.now() - claim.earlier.at) / 1000)) : 0;
  return writeResult(endpoint, outcome, sanitize(res.body?.data), res.attempts, ago);
}

/**
 * The outcome from facts only: what this server knows of an identical earlier call, and the
 * contract's statuses (create 201, send 202, an "idempotent" create finding its record 200).
 */
function outcomeOf(
  endpoint: Endpoint,
  res: ApiResponse<unknown>,
  earlier: { state: "succeeded" | "unknown" } | undefined,
): WriteOutcome {
  if (earlier?.state === "succeeded") return "replayed";
  if (earlier?.state === "unknown") return "completed";
  if (endpoint.kind === "create" && res.status === 200) return "existing";
  // Not in the contract, but an implementation that flags a replay on the first attempt tells us
  // the key was used by a call this server no longer remembers. A replay on a later attempt is
  // this call's own earlier attempt, so this call did make it.
  if (res.replayed && res.attempts === 1) return "replayed";
  return endpoint.kind === "send" ? "sent" : "created";
}

function writeResult(
  endpoint: Endpoint,
  outcome: WriteOutcome,
  data: unknown,
  attempts: number,
  agoSeconds = 0,
): CallToolResult {
  const noun = recordNoun(endpoint);
  const id = (data as { id?: unknown } | undefined)?.id;
  const ref = id === undefined ? "" : ` (id ${String(id)})`;
  const retried =
    attempts > 1 ? ` It took ${attempts} attempts; one idempotency key made them one write.` : "";
  const again = `To ${endpoint.kind === "send" ? "send it again" : "create another"} on purpose, call again with a new idempotency_key.`;
  const text: Record<WriteOutcome, string> = {
    created: `Created by this call: ${noun}${ref}.${retried}`,
    sent: `Sent by this call: ${noun}${ref} queued for delivery.${retried}`,
    updated: `Updated by this call: ${noun}${ref}.${retried}`,
    existing: `Nothing added: the platform already had this ${noun}${ref} and returned it unchanged.`,
    replayed: `Already done: an identical ${endpoint.tool} succeeded ${agoSeconds} s ago; the platform returned that result and nothing new was ${endpoint.kind === "send" ? "sent" : "created"} now. ${again}`,
    completed: `Done, exactly once: an identical ${endpoint.tool} ${agoSeconds} s ago ended without a clear answer; this call finished it under the same idempotency key, so the platform holds one ${noun}${ref}.`,
  };
  return toolResult({ data, outcome }, text[outcome]);
}

async function runReport(endpoint: Endpoint, args: CallArgs, ctx: HandlerContext): Promise<CallToolResult> {
  const key = String(args.path.key);
  const run =
    args.runId === undefined ? await newReportRun(endpoint, key, args, ctx) : storedRun(key, args, ctx);
  const full = run.result as { columns?: string[]; rows?: unknown[][] } & Record<string, unknown>;
  const rows = Array.isArray(full?.rows) ? full.rows : [];
  const uri = `okta://reports/runs/${run.id}`;
  const offset = args.rowOffset ?? 0;
  const window = capItems(
    rows.slice(offset, offset + (args.rowLimit ?? DEFAULT_REPORT_ROWS)),
    Buffer.byteLength(JSON.stringify(full?.columns ?? [])) + 500,
    ctx.maxResultBytes,
    "Follow next for the following rows.",
    1,
  ).items;
  const end = offset + window.length;
  const omitted = Math.max(0, rows.length - end);
  // The same run, from the first row not shown: every row once, whatever cut the window.
  const next =
    omitted > 0
      ? {
          key,
          run_id: run.id,
          row_offset: end,
          ...(args.rowLimit !== undefined ? { row_limit: args.rowLimit } : {}),
        }
      : undefined;
  const shown = window.length === 0 ? "none shown" : `rows ${offset + 1}-${end} shown`;
  const result = toolResult(
    {
      data: { ...full, rows: window },
      run_id: run.id,
      row_offset: offset,
      total_rows: rows.length,
      ...(next ? { next } : {}),
      ...(omitted > 0
        ? {
            truncated: {
              shown: window.length,
              omitted,
              hint: `Call run_report with next for the following rows (or read ${uri}).`,
            },
          }
        : {}),
      resource_uri: uri,
    },
    `Report ${key}: ${rows.length} rows, ${shown}.${next ? " Follow next for the following rows." : ""}`,
  );
  result.content.push({
    type: "resource_link",
    uri,
    name: `${key} run`,
    mimeType: "application/json",
    description: `Full result of ${key} (${rows.length} rows)`,
  });
  return result;
}

/** Runs the report (parameters checked against the catalog first) and stores the run. */
async function newReportRun(
  endpoint: Endpoint,
  key: string,
  args: CallArgs,
  ctx: HandlerContext,
): Promise<StoredReportRun> {
  const installation = ctx.installation;
  const given = (args.body?.params ?? undefined) as Record<string, unknown> | undefined;
  await ctx.progress(0, 3, `Checking parameters of ${key}`);
  const catalog = await installation.reportCatalog();
  const report = catalog.find((r) => r.key === key);
  if (!report) {
    throw new InvalidArgumentsError({
      key: [`Unknown report; available: ${catalog.map((r) => r.key).join(", ") || "none"}`],
    });
  }
  const checked = validateReportParams(report, given);
  if (!checked.ok) throw new InvalidArgumentsError(checked.errors);
  await ctx.progress(1, 3, `Running ${key}`);
  const res = await installation.client.request<{ data: { columns: string[]; rows: unknown[][] } }>({
    method: "POST",
    path: fillPath(endpoint.path, args.path),
    body: { params: checked.params },
    signal: ctx.signal,
  });
  ctx.attempts = res.attempts;
  const run = installation.storeReportRun(key, checked.params, sanitize(res.body?.data));
  const rows = (run.result as { rows?: unknown[] } | undefined)?.rows;
  await ctx.progress(3, 3, `Done: ${Array.isArray(rows) ? rows.length : 0} rows`);
  return run;
}

/** A run stored by an earlier call: its rows stay the same across pages. Nothing is sent. */
function storedRun(key: string, args: CallArgs, ctx: HandlerContext): StoredReportRun {
  if (args.body?.params !== undefined) {
    throw new InvalidArgumentsError({
      params: ["Not with run_id: a stored run keeps the params it ran with; omit run_id to run again"],
    });
  }
  const run = ctx.installation.reportRun(String(args.runId));
  if (!run) {
    throw new InvalidArgumentsError({
      run_id: [
        "No such stored run: it expired (this server keeps each installation's newest 50 runs, in memory) or never existed. Run the report again: run_report without run_id",
      ],
    });
  }
  if (run.key !== key) {
    throw new InvalidArgumentsError({ key: [`Run ${run.id} is of report ${run.key}, not ${key}`] });
  }
  return run;
}
