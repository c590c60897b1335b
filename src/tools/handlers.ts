/**
 * The success paths of the tools, by response shape. They receive arguments already validated
 * and split; failures are thrown and mapped by the seam (registry.ts).
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { collectPages } from "../client/paging.js";
import type { Installation } from "../installation.js";
import { type Endpoint, fillPath } from "../platform/catalog.js";
import { sanitize } from "../text/clean.js";
import { InvalidArgumentsError } from "./errors.js";
import { validateReportParams } from "./report-params.js";
import { capItems, projectFields, toolResult } from "./results.js";
import { DEFAULT_MAX_ITEMS } from "./schemas.js";
import { writeFingerprint } from "./write-memory.js";

export interface CallArgs {
  path: Record<string, unknown>;
  query: Record<string, string | number | boolean | undefined>;
  body: Record<string, unknown> | undefined;
  fields?: string[];
  allPages?: boolean;
  maxItems?: number;
  idempotencyKey?: string;
  /** All arguments as given, less the local options: what makes two writes "identical". */
  request: Record<string, unknown>;
}

export interface HandlerContext {
  installation: Installation;
  maxResultBytes: number;
  signal: AbortSignal;
  /** Reports progress when the client asked for it (a progress token); a no-op otherwise. */
  progress: (progress: number, total: number, message: string) => Promise<void>;
  /** Attempts made by the API client, for the one log line per call. */
  attempts: number;
}

const REPORT_PREVIEW_ROWS = 20;

export async function runEndpoint(
  endpoint: Endpoint,
  args: CallArgs,
  ctx: HandlerContext,
): Promise<CallToolResult> {
  if (endpoint.tool === "whoami") return whoami(ctx);
  if (endpoint.tool === "run_report") return runReport(endpoint, args, ctx);
  if (endpoint.response === "list")
    return args.allPages ? allPages(endpoint, args, ctx) : onePage(endpoint, args, ctx);
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

interface ListEnvelope {
  data: unknown[];
  total: number;
  per_page: number;
  current_page: number;
  last_page: number;
}

function nounOf(endpoint: Endpoint): string {
  return endpoint.tool.replace(/^list_/, "").replace(/_/g, " ");
}

async function onePage(endpoint: Endpoint, args: CallArgs, ctx: HandlerContext): Promise<CallToolResult> {
  const res = await ctx.installation.client.request<ListEnvelope>({
    method: "GET",
    path: endpoint.path,
    query: args.query,
    signal: ctx.signal,
  });
  ctx.attempts = res.attempts;
  const env = res.body;
  const rows = (Array.isArray(env?.data) ? env.data : []).map((r) => projectFields(sanitize(r), args.fields));
  const page = Number(env?.current_page ?? args.query.page ?? 1);
  const lastPage = Number(env?.last_page ?? page);
  const meta = {
    total: Number(env?.total ?? rows.length),
    per_page: Number(env?.per_page ?? rows.length),
    page,
    last_page: lastPage,
  };
  const capped = capItems(
    rows,
    Buffer.byteLength(JSON.stringify(meta)) + 200,
    ctx.maxResultBytes,
    "Result cap reached: ask for fewer fields or a smaller per_page.",
  );
  const next = page < lastPage ? { ...args.request, page: page + 1 } : undefined;
  const summary = `${nounOf(endpoint)}: page ${page} of ${lastPage}, ${capped.items.length} shown of ${meta.total}.${
    next ? ` Next: page=${page + 1}.` : ""
  }`;
  return toolResult(
    {
      data: capped.items,
      ...meta,
      ...(next ? { next } : {}),
      ...(capped.truncated ? { truncated: capped.truncated } : {}),
    },
    summary,
  );
}

async function allPages(endpoint: Endpoint, args: CallArgs, ctx: HandlerContext): Promise<CallToolResult> {
  const maxItems = args.maxItems ?? DEFAULT_MAX_ITEMS;
  const { page: _ignored, per_page: _perPage, ...query } = args.query;
  const collected = await collectPages(ctx.installation.client, {
    path: endpoint.path,
    query,
    perPage: 100,
    maxItems,
    signal: ctx.signal,
  });
  ctx.attempts = collected.pagesFetched;
  const rows = collected.items.map((r) => projectFields(sanitize(r), args.fields));
  const meta = {
    total: collected.total,
    per_page: 100,
    page: 1,
    last_page: Math.max(1, Math.ceil(collected.total / 100)),
    pages_fetched: collected.pagesFetched,
    stopped_early: collected.truncated,
  };
  const capped = capItems(
    rows,
    Buffer.byteLength(JSON.stringify(meta)) + 200,
    ctx.maxResultBytes,
    "Result cap reached: pass fields to return fewer fields per record, or narrow with search.",
  );
  const summary = `${nounOf(endpoint)}: ${capped.items.length} shown of ${collected.total}${
    collected.truncated ? `; stopped at max_items=${maxItems}` : ""
  }.`;
  return toolResult(
    { data: capped.items, ...meta, ...(capped.truncated ? { truncated: capped.truncated } : {}) },
    summary,
  );
}

async function write(endpoint: Endpoint, args: CallArgs, ctx: HandlerContext): Promise<CallToolResult> {
  const installation = ctx.installation;
  const choice = await installation.writeMemory.keyFor(
    writeFingerprint(installation.id, endpoint.tool, args.request),
    args.idempotencyKey,
  );
  const res = await installation.client.request<{ data: unknown }>({
    method: endpoint.method,
    path: fillPath(endpoint.path, args.path),
    body: args.body ?? {},
    idempotencyKey: choice.key,
    signal: ctx.signal,
  });
  ctx.attempts = res.attempts;
  const data = sanitize(res.body?.data);
  const replayed = choice.reused || res.replayed;
  if (replayed) {
    const ago = choice.firstAt ? ` ${Math.round((Date.now() - choice.firstAt) / 1000)} s ago` : "";
    return toolResult(
      { data, replayed: true },
      `Replay: an identical ${endpoint.tool} was already made${ago}; the platform returned its stored result and nothing new was created. To do it again on purpose, call with a new idempotency_key.`,
    );
  }
  return toolResult({ data }, `${endpoint.title}: done (HTTP ${res.status}).`);
}

async function runReport(endpoint: Endpoint, args: CallArgs, ctx: HandlerContext): Promise<CallToolResult> {
  const installation = ctx.installation;
  const key = String(args.path.key);
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
  const full = sanitize(res.body?.data) as { columns?: string[]; rows?: unknown[][] } & Record<
    string,
    unknown
  >;
  const run = installation.storeReportRun(key, checked.params, full);
  const rows = Array.isArray(full?.rows) ? full.rows : [];
  const uri = `okta://reports/runs/${run.id}`;
  const preview = capItems(
    rows.slice(0, REPORT_PREVIEW_ROWS),
    Buffer.byteLength(JSON.stringify(full?.columns ?? [])) + 300,
    ctx.maxResultBytes,
    "",
  ).items;
  const omitted = rows.length - preview.length;
  await ctx.progress(3, 3, `Done: ${rows.length} rows`);
  const result = toolResult(
    {
      data: { ...full, rows: preview },
      ...(omitted > 0
        ? { truncated: { shown: preview.length, omitted, hint: `Read the resource ${uri} for all rows.` } }
        : {}),
      resource_uri: uri,
    },
    `Report ${key}: ${rows.length} rows${omitted > 0 ? `, first ${preview.length} shown; all rows at ${uri}` : ""}.`,
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
