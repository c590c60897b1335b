/**
 * What a tool is beyond its catalog entry: the input a model fills, the output it gets back, and
 * the success path of a call. Most tools are uniform and take theirs from the catalog entry alone
 * (generic.ts, chosen by what the endpoint does); the few that are not carry their own spec in
 * this folder (whoami.ts, run-report.ts), and index.ts maps each tool to its spec.
 *
 * The seam (registry.ts) validates, confirms and maps errors for every spec alike: a spec holds
 * only its success path, and throws the rest.
 */

import type { CallToolResult } from "@modelcontextprotocol/server";
import type { z } from "zod";
import type { View } from "../../apps/views.js";
import type { Installation } from "../../installation.js";
import type { Endpoint } from "../../platform/catalog.js";
import type { WriteClaim } from "../../store/write-memory.js";
import type { JsonSchema } from "../schemas.js";

export interface ToolSpec {
  /** The flat input; every argument is validated with it before any request. */
  input(endpoint: Endpoint): z.ZodObject;
  /** What models are shown of the input, when it is not the input's own JSON Schema. */
  shownInput?(json: JsonSchema): JsonSchema;
  output(endpoint: Endpoint): z.ZodObject;
  /** This tool's own options (beside schemas.ts LOCAL_OPTIONS): never sent to the platform. */
  localOptions?: readonly string[];
  /** Also check the catalog's body schema, for rules the flat input cannot say (default true). */
  checksBody?: boolean;
  /** The MCP Apps view that shows this tool's result, named on the tool for hosts that render views. */
  view?: View;
  run(endpoint: Endpoint, args: CallArgs, ctx: HandlerContext): Promise<CallToolResult>;
}

/** A call's validated arguments, split by where they go (registry.ts `splitArguments`). */
export interface CallArgs {
  path: Record<string, unknown>;
  query: Record<string, string | number | boolean | undefined>;
  body: Record<string, unknown> | undefined;
  /** A list's own filters (the catalog's `filters`), matched by the server, never sent. */
  filters: Record<string, unknown>;
  fields?: string[];
  allPages?: boolean;
  maxItems?: number;
  /** Where a listing resumes (from its `next`): a page the result cap cut, all_pages, or a filter. */
  offset?: number;
  /** The scan of a filtered listing to reuse (from its `next`). */
  cursor?: string;
  countOnly?: boolean;
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
  /**
   * The replay of an identical write already made, when the confirmation step was skipped for it
   * (WriteMemory.succeeded): the write goes out under its key, whatever the memory says by then.
   */
  replayOf?: WriteClaim;
}
