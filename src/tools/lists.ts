/**
 * The list tools' answers: one platform page; all pages (to max_items, the result cap and one
 * overall deadline); and listings by filters the platform lacks, served from a scan kept between
 * pages (list-scans.ts). Whenever an answer stops early, `next` holds the exact arguments that
 * continue it: following `next` to the end yields every record once.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import { collectPages } from "../client/paging.js";
import type { Endpoint } from "../platform/catalog.js";
import { listEnvelope } from "../platform/envelopes.js";
import { sanitize } from "../text/clean.js";
import { InvalidArgumentsError } from "./errors.js";
import { advanceScan, type ScanStop, scanSignature } from "./list-scans.js";
import { capItems, projectFields, toolResult } from "./results.js";
import { DEFAULT_MAX_ITEMS } from "./schemas.js";
import type { CallArgs, HandlerContext } from "./specs/spec.js";

/** One all_pages call or one scan step stops here with what it has; well under a 60 s tool timeout. */
export const DEFAULT_PAGING_DEADLINE_MS = 30_000;
/** The contract's default per_page, for pages of matches. */
const DEFAULT_PER_PAGE = 20;
/** all_pages reads the contract's largest pages, to make the fewest calls. */
const PAGE_SIZE = 100;

type StoppedBy = "max_items" | "result_cap" | ScanStop;

/** The contract's list envelope of the endpoint's records, checked by the client. */
const envelopeOf = (endpoint: Endpoint) => listEnvelope(endpoint.record);

function nounOf(endpoint: Endpoint): string {
  return endpoint.tool.replace(/^list_/, "").replace(/_/g, " ");
}

const hasFilters = (args: CallArgs) => Object.keys(args.filters).length > 0;

/** Combinations refused before any request, each naming the option that is wrong. */
function checkOptions(args: CallArgs): void {
  const errors: Record<string, string[]> = {};
  if (args.offset !== undefined && args.query.page !== undefined) {
    errors.offset = ["Not with page: offset (from next) already says where to start"];
  }
  if (args.cursor !== undefined && !hasFilters(args)) {
    errors.cursor = ["Only with the filters of the listing it came from: pass next as it is"];
  }
  if (Object.keys(errors).length > 0) throw new InvalidArgumentsError(errors);
}

export async function runList(
  endpoint: Endpoint,
  args: CallArgs,
  ctx: HandlerContext,
): Promise<CallToolResult> {
  checkOptions(args);
  if (hasFilters(args)) return filteredList(endpoint, args, ctx);
  if (args.countOnly) return countOnly(endpoint, args, ctx);
  if (args.allPages) return allPages(endpoint, args, ctx);
  return args.offset === undefined ? onePage(endpoint, args, ctx) : pageAtOffset(endpoint, args, ctx);
}

async function onePage(endpoint: Endpoint, args: CallArgs, ctx: HandlerContext): Promise<CallToolResult> {
  const res = await ctx.installation.client.request({
    method: "GET",
    path: endpoint.path,
    query: args.query,
    signal: ctx.signal,
    expect: envelopeOf(endpoint),
  });
  ctx.attempts = res.attempts;
  const env = res.body;
  const rows = env.data.map((r) => projectFields(sanitize(r), args.fields));
  const page = env.current_page ?? Number(args.query.page ?? 1);
  const lastPage = env.last_page ?? page;
  const meta = {
    total: env.total ?? rows.length,
    per_page: env.per_page ?? rows.length,
    page,
    last_page: lastPage,
  };
  const capped = capItems(
    rows,
    Buffer.byteLength(JSON.stringify(meta)) + 200,
    ctx.maxResultBytes,
    "Result cap reached: ask for fewer fields or a smaller per_page.",
  );
  // A page the byte cap cut resumes at its first record not shown (by offset), so nothing is skipped.
  const next = capped.truncated
    ? continuation(args, (page - 1) * meta.per_page + capped.items.length, undefined)
    : page < lastPage
      ? { ...args.arguments, page: page + 1 }
      : undefined;
  const summary = `${nounOf(endpoint)}: page ${page} of ${lastPage}, ${capped.items.length} shown of ${meta.total}.${
    next ? " Follow next for the rest." : ""
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

/** per_page records from a record offset (where a page cut by the result cap left off). */
async function pageAtOffset(
  endpoint: Endpoint,
  args: CallArgs,
  ctx: HandlerContext,
): Promise<CallToolResult> {
  const offset = args.offset ?? 0;
  const perPage = (args.query.per_page as number | undefined) ?? DEFAULT_PER_PAGE;
  const collected = await collectFrom(endpoint, args, ctx, offset, perPage);
  const more = offset + collected.items.length < collected.total;
  return resumable(endpoint, args, ctx, {
    rows: collected.items,
    offset,
    total: collected.total,
    perPage,
    rest: collected.deadlineReached ? "deadline" : more ? "page" : undefined,
  });
}

/** "How many" without filters: the platform's total, from the smallest page. */
async function countOnly(endpoint: Endpoint, args: CallArgs, ctx: HandlerContext): Promise<CallToolResult> {
  const { page: _page, per_page: _perPage, ...query } = args.query;
  const res = await ctx.installation.client.request({
    method: "GET",
    path: endpoint.path,
    query: { ...query, per_page: 1 },
    signal: ctx.signal,
    expect: envelopeOf(endpoint),
  });
  ctx.attempts = res.attempts;
  const total = res.body.total ?? 0;
  return toolResult({ data: [], total }, `${nounOf(endpoint)}: ${total}.`);
}

const deadlineOf = (ctx: HandlerContext) => AbortSignal.timeout(ctx.pagingDeadlineMs);

/** Up to maxItems records (sanitized) from an offset, read in the largest pages, within one deadline. */
async function collectFrom(
  endpoint: Endpoint,
  args: CallArgs,
  ctx: HandlerContext,
  offset: number,
  maxItems: number,
) {
  const { page: _page, per_page: _perPage, ...query } = args.query;
  const collected = await collectPages(ctx.installation.client, {
    path: endpoint.path,
    record: endpoint.record,
    query,
    perPage: PAGE_SIZE,
    offset,
    maxItems,
    signal: ctx.signal,
    deadline: deadlineOf(ctx),
  });
  ctx.attempts = collected.pagesFetched;
  return { ...collected, items: collected.items.map(sanitize) };
}

async function allPages(endpoint: Endpoint, args: CallArgs, ctx: HandlerContext): Promise<CallToolResult> {
  const maxItems = args.maxItems ?? DEFAULT_MAX_ITEMS;
  const offset = args.offset ?? 0;
  const collected = await collectFrom(endpoint, args, ctx, offset, maxItems);
  return resumable(endpoint, args, ctx, {
    rows: collected.items,
    offset,
    total: collected.total,
    perPage: PAGE_SIZE,
    rest: collected.truncated ? "max_items" : collected.deadlineReached ? "deadline" : undefined,
    extra: { pages_fetched: collected.pagesFetched },
    ...(collected.pagesFetched === 0
      ? { note: "No page arrived before the deadline, so total is not known yet." }
      : {}),
  });
}

interface Window {
  /** Sanitized records from `offset` on, before projection and the byte cap. */
  rows: unknown[];
  offset: number;
  total: number;
  perPage: number;
  /**
   * Why records remain beyond `rows`: a page of matches that ends before them ("page"), or what
   * stopped the listing early. Undefined: the listing ends with them.
   */
  rest: "page" | StoppedBy | undefined;
  extra?: Record<string, unknown>;
  scan?: { id: string; facts: ScanFacts };
  note?: string;
}

interface ScanFacts {
  records_scanned: number;
  pages_scanned: number;
  complete: boolean;
  reused: boolean;
}

/**
 * An answer that resumes by record offset: the rows that fit the byte cap, and `next` from the
 * first row not shown, so a cut in the middle of a platform page loses nothing.
 */
function resumable(endpoint: Endpoint, args: CallArgs, ctx: HandlerContext, w: Window): CallToolResult {
  const meta = {
    total: w.total,
    per_page: w.perPage,
    page: Math.floor(w.offset / w.perPage) + 1,
    last_page: Math.max(1, Math.ceil(w.total / w.perPage)),
    offset: w.offset,
    ...w.extra,
  };
  const capped = capItems(
    w.rows.map((r) => projectFields(r, args.fields)),
    Buffer.byteLength(JSON.stringify(meta)) + 400,
    ctx.maxResultBytes,
    "Result cap reached: follow next for the rest, or pass fewer fields.",
    1,
  );
  const shown = capped.items.length;
  const rest = shown < w.rows.length ? "result_cap" : w.rest;
  const stoppedBy = rest === "page" ? undefined : rest;
  const next = rest ? continuation(args, w.offset + shown, w.scan?.id) : undefined;
  const range = shown === 0 ? "none" : `${w.offset + 1}-${w.offset + shown}`;
  const soFar = w.scan && !w.scan.facts.complete ? " found so far" : "";
  const summary = [
    `${nounOf(endpoint)}${describeFilters(args)}: ${range} shown of ${w.total}${soFar}.`,
    stoppedBy ? ` Stopped by ${stoppedBy.replace("_", " ")}.` : "",
    next ? " Follow next for the rest." : "",
    w.scan ? ` ${describeScan(w.scan.facts)}` : "",
    w.note ? ` ${w.note}` : "",
  ].join("");
  return toolResult(
    {
      data: capped.items,
      ...meta,
      ...(args.allPages ? { stopped_early: stoppedBy !== undefined } : {}),
      ...(stoppedBy ? { stopped_by: stoppedBy } : {}),
      ...(next ? { next } : {}),
      ...(w.scan ? { scan: w.scan.facts } : {}),
      ...(capped.truncated ? { truncated: capped.truncated } : {}),
    },
    summary,
  );
}

/** The arguments as given, resumed at `offset` (which replaces page), with the scan to reuse. */
function continuation(args: CallArgs, offset: number, cursor: string | undefined): Record<string, unknown> {
  const { page: _page, ...given } = args.arguments;
  return { ...given, ...(cursor ? { cursor } : {}), offset };
}

function describeFilters(args: CallArgs): string {
  const given = Object.entries(args.filters).map(([name, value]) => `${name}=${String(value)}`);
  return given.length > 0 ? ` with ${given.join(", ")}` : "";
}

function describeScan(facts: ScanFacts): string {
  const how = facts.reused ? ", kept from an earlier page" : "";
  return `Scanned ${facts.records_scanned} records in ${facts.pages_scanned} pages${facts.complete ? "" : " so far"}${how}.`;
}

/**
 * A listing by the server's own filters: the scan for it (kept from an earlier page, or new),
 * continued if unfinished, then a window of its matches.
 */
async function filteredList(
  endpoint: Endpoint,
  args: CallArgs,
  ctx: HandlerContext,
): Promise<CallToolResult> {
  const installation = ctx.installation;
  // Only what the platform knows goes out: search, and a platform filter such as grade_id on sections.
  const { page, per_page: perPageArg, ...query } = args.query;
  const signature = scanSignature(installation.id, endpoint.tool, query, args.filters);
  const kept = installation.listScans.find(args.cursor, signature);
  const scan = kept ?? installation.listScans.start(signature);
  ctx.attempts = await advanceScan(installation.client, scan, {
    path: endpoint.path,
    record: endpoint.record,
    query,
    filters: args.filters,
    signal: ctx.signal,
    deadline: deadlineOf(ctx),
  });
  // An expired cursor is not an error: the arguments say what to list, so a new scan serves the
  // same place. The answer says so, since records changed in between could shift by a few.
  const note =
    args.cursor !== undefined && !kept
      ? "The earlier scan had expired: rescanned from the start; records changed since could shift."
      : undefined;
  const facts: ScanFacts = {
    records_scanned: scan.recordsScanned,
    pages_scanned: scan.pagesScanned,
    complete: scan.complete,
    reused: kept !== undefined,
  };
  const total = scan.matches.length;
  if (args.countOnly) {
    const next = scan.complete ? undefined : { ...args.arguments, cursor: scan.id };
    const counted = scan.complete ? "" : " so far; follow next to count the rest";
    return toolResult(
      { data: [], total, scan: facts, ...(next ? { stopped_by: scan.stoppedBy, next } : {}) },
      `${nounOf(endpoint)}${describeFilters(args)}: ${total}${counted}. ${describeScan(facts)}${note ? ` ${note}` : ""}`,
    );
  }
  const perPage = args.allPages ? PAGE_SIZE : ((perPageArg as number | undefined) ?? DEFAULT_PER_PAGE);
  const offset = args.offset ?? (((page as number | undefined) ?? 1) - 1) * perPage;
  const count = args.allPages ? (args.maxItems ?? DEFAULT_MAX_ITEMS) : perPage;
  const rows = scan.matches.slice(offset, offset + count);
  const moreMatches = offset + rows.length < total;
  return resumable(endpoint, args, ctx, {
    rows,
    offset,
    total,
    perPage,
    rest: moreMatches ? (args.allPages ? "max_items" : "page") : scan.stoppedBy,
    scan: { id: scan.id, facts },
    note,
  });
}
