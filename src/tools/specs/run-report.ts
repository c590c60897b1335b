/**
 * run_report runs a report once (its parameters checked against the report catalog first), keeps
 * the run, and pages its rows: `next` carries run_id and row_offset, so every row is shown once
 * from the same run, whatever cut a window. `params` also accepts a JSON string (some clients send
 * nested objects so); models are shown the object form.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import { z } from "zod";
import { VIEWS } from "../../apps/views.js";
import { type Endpoint, fillPath } from "../../platform/catalog.js";
import { recordEnvelope } from "../../platform/envelopes.js";
import { newReportRun, ReportRunsUnavailableError, type StoredReportRun } from "../../store/report-runs.js";
import { sanitize } from "../../text/clean.js";
import { InvalidArgumentsError } from "../errors.js";
import { validateReportParams } from "../report-params.js";
import { capItems, toolResult } from "../results.js";
import { inputSchemaOf, looseRecordOf, truncatedMarker } from "../schemas.js";
import type { CallArgs, HandlerContext, ToolSpec } from "./spec.js";

const DEFAULT_REPORT_ROWS = 20;
const MAX_REPORT_ROWS = 500;

/** run_report reads a stored run page by page; `next` gives the arguments of the following rows. */
const pagingOptions = {
  run_id: z.uuid("Must be the run_id of an earlier run_report").optional(),
  row_offset: z.number().int().min(0).max(10_000_000).optional(),
  row_limit: z.number().int().min(1).max(MAX_REPORT_ROWS).optional(),
};

/** A JSON string is parsed first; the JSON Schema shows only the object form (shownInput). */
const objectOrJsonString = z.preprocess(
  (value) => {
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  },
  z.record(z.string(), z.unknown()),
);

export const runReportSpec: ToolSpec = {
  input: (endpoint) =>
    z
      .object({
        ...inputSchemaOf(endpoint).shape,
        params: objectOrJsonString.optional().describe("Parameters by name, as list_reports defines"),
        ...pagingOptions,
      })
      .strict(),
  shownInput(json) {
    const props = json.properties as Record<string, Record<string, unknown>>;
    props.params = { type: "object", description: props.params?.description };
    return json;
  },
  output: (endpoint) =>
    z.object({
      data: looseRecordOf(endpoint),
      run_id: z.string().optional(),
      row_offset: z.number().int().optional(),
      total_rows: z.number().int().optional(),
      next: z.record(z.string(), z.unknown()).optional(),
      truncated: truncatedMarker,
      resource_uri: z.string().optional(),
    }),
  localOptions: Object.keys(pagingOptions),
  // `params` is checked against the report's own definition (report-params.ts), not the catalog body.
  checksBody: false,
  view: VIEWS.report,
  run: runReport,
};

/** The paging options, read from the arguments as given (they are run_report's alone). */
function pagingOf(args: CallArgs): { runId?: string; rowOffset?: number; rowLimit?: number } {
  const given = args.arguments;
  return {
    runId: given.run_id as string | undefined,
    rowOffset: given.row_offset as number | undefined,
    rowLimit: given.row_limit as number | undefined,
  };
}

async function runReport(endpoint: Endpoint, args: CallArgs, ctx: HandlerContext): Promise<CallToolResult> {
  const key = String(args.path.key);
  const paging = pagingOf(args);
  const { run, stored } =
    paging.runId === undefined
      ? await runAndStore(endpoint, key, args, ctx)
      : { run: await storedRun(key, paging.runId, args, ctx), stored: true };
  const full = run.result as { columns?: string[]; rows?: unknown[][] } & Record<string, unknown>;
  const rows = Array.isArray(full?.rows) ? full.rows : [];
  const uri = `okta://reports/runs/${run.id}`;
  const offset = paging.rowOffset ?? 0;
  const window = capItems(
    rows.slice(offset, offset + (paging.rowLimit ?? DEFAULT_REPORT_ROWS)),
    Buffer.byteLength(JSON.stringify(full?.columns ?? [])) + 500,
    ctx.maxResultBytes,
    "Follow next for the following rows.",
    1,
  ).items;
  const end = offset + window.length;
  const omitted = Math.max(0, rows.length - end);
  // The same run, from the first row not shown: every row once, whatever cut the window.
  const next =
    omitted > 0 && stored
      ? {
          key,
          run_id: run.id,
          row_offset: end,
          ...(paging.rowLimit !== undefined ? { row_limit: paging.rowLimit } : {}),
        }
      : undefined;
  const shown = window.length === 0 ? "none shown" : `rows ${offset + 1}-${end} shown`;
  const rest = stored
    ? `Call run_report with next for the following rows (or read ${uri}).`
    : `${NOT_STORED} Run the report again shortly (run_report without run_id) to page it; row_limit up to ${MAX_REPORT_ROWS} shows more rows in one call.`;
  const result = toolResult(
    {
      data: { ...full, rows: window },
      ...(stored ? { run_id: run.id } : {}),
      row_offset: offset,
      total_rows: rows.length,
      ...(next ? { next } : {}),
      ...(omitted > 0 ? { truncated: { shown: window.length, omitted, hint: rest } } : {}),
      ...(stored ? { resource_uri: uri } : {}),
    },
    `Report ${key}: ${rows.length} rows, ${shown}.${next ? " Follow next for the following rows." : ""}${stored ? "" : ` ${NOT_STORED}`}`,
  );
  if (stored) {
    result.content.push({
      type: "resource_link",
      uri,
      name: `${key} run`,
      mimeType: "application/json",
      description: `Full result of ${key} (${rows.length} rows)`,
    });
  }
  return result;
}

/** Said when the report ran at the platform but the shared store did not take the run. */
const NOT_STORED =
  "This run could not be stored (the shared store of report runs did not answer): it cannot be paged further or read as a resource.";

/**
 * Runs the report (parameters checked against the catalog first) and stores the run. A store
 * that fails does not hide rows the platform computed: they are shown, `stored` says paging is not.
 */
async function runAndStore(
  endpoint: Endpoint,
  key: string,
  args: CallArgs,
  ctx: HandlerContext,
): Promise<{ run: StoredReportRun; stored: boolean }> {
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
  const res = await installation.client.request({
    method: "POST",
    path: fillPath(endpoint.path, args.path),
    body: { params: checked.params },
    signal: ctx.signal,
    expect: recordEnvelope(endpoint.record),
  });
  ctx.attempts = res.attempts;
  const run = newReportRun(key, checked.params, sanitize(res.body.data));
  const stored = await installation.reportRuns.save(run).then(
    () => true,
    (error: unknown) => {
      if (error instanceof ReportRunsUnavailableError) return false;
      throw error;
    },
  );
  const rows = (run.result as { rows?: unknown[] } | undefined)?.rows;
  await ctx.progress(3, 3, `Done: ${Array.isArray(rows) ? rows.length : 0} rows`);
  return { run, stored };
}

/** A run stored by an earlier call: its rows stay the same across pages. Nothing is sent. */
async function storedRun(
  key: string,
  runId: string,
  args: CallArgs,
  ctx: HandlerContext,
): Promise<StoredReportRun> {
  if (args.body?.params !== undefined) {
    throw new InvalidArgumentsError({
      params: ["Not with run_id: a stored run keeps the params it ran with; omit run_id to run again"],
    });
  }
  const runs = ctx.installation.reportRuns;
  const run = await runs.get(runId);
  if (!run) {
    throw new InvalidArgumentsError({
      run_id: [
        `No stored run with this id here. ${runs.kept} Run the report again: run_report without run_id`,
      ],
    });
  }
  if (run.key !== key) {
    throw new InvalidArgumentsError({ key: [`Run ${run.id} is of report ${run.key}, not ${key}`] });
  }
  return run;
}
