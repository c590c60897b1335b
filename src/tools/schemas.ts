/**
 * Catalog entry -> the tool's input and output schemas (Zod, and the JSON Schema models see).
 *
 * A tool's input is flat: path params, query and body fields side by side, a list's own filters
 * (the catalog's `filters`), plus a few options of ours (LOCAL_OPTIONS). JSON Schemas are computed
 * once per tool and compacted: the huge regexes zod emits for `format: date/email` and the 2^53
 * bounds cost tokens in every conversation and tell a model nothing the format does not.
 */
import { z } from "zod";
import type { Endpoint } from "../platform/catalog.js";
import { quoted } from "./errors.js";

export const DEFAULT_MAX_ITEMS = 500;

/** What a write did at the platform (see handlers.ts `outcomeOf`): one field, a fact to repeat. */
const WRITE_OUTCOMES = ["created", "sent", "updated", "existing", "replayed", "completed"] as const;
export type WriteOutcome = (typeof WRITE_OUTCOMES)[number];
const MAX_MAX_ITEMS = 5_000;

/**
 * `fields` takes the names of the endpoint's record (records.ts): a misspelt one ("nme") is
 * refused before the request, with the valid names, instead of silently returning less.
 * The JSON Schema says only "strings": the names are in the tool's outputSchema already.
 */
function fieldsOptionOf(endpoint: Endpoint) {
  const names = endpoint.record instanceof z.ZodObject ? Object.keys(endpoint.record.shape) : [];
  return z
    .array(z.string())
    .min(1)
    .max(30)
    .superRefine((given, ctx) => {
      const unknown = given.filter((name) => !names.includes(name));
      if (unknown.length === 0) return;
      ctx.addIssue({
        code: "custom",
        message: `Unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map(quoted).join(", ")}; ${endpoint.tool} returns: ${names.join(", ")}`,
      });
    })
    .optional()
    .describe("Only these fields");
}

const allPagesOptions = {
  all_pages: z.boolean().optional().describe("All pages, to max_items"),
  max_items: z.number().int().min(1).max(MAX_MAX_ITEMS).optional(),
  // A record offset: where an all_pages or filtered listing that stopped early resumes.
  offset: z.number().int().min(0).max(10_000_000).optional(),
};

/**
 * Beside a list tool's own filters (the catalog's `filters`): the scan they need is kept and
 * reused through `cursor`. Undescribed, like `offset` and run_report's paging: the names say it,
 * the server instructions say "follow next", and every description costs tokens in every session.
 */
const scanOptions = {
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "Must be the cursor from next")
    .optional(),
  count_only: z.boolean().optional(),
};

export const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{8,128}$/, "Must be 8-128 letters, digits, - or _ (a UUID works)");

/** Said on every write because a model deciding to repeat one reads the tool, not the instructions. */
const idempotencyOption = IdempotencyKey.optional().describe(
  "A new key repeats an identical write on purpose",
);

/** The options of ours that are not sent to the API (a tool spec may add its own). */
export const LOCAL_OPTIONS = [
  "fields",
  "all_pages",
  "max_items",
  "offset",
  "cursor",
  "count_only",
  "idempotency_key",
] as const;

export function inputSchemaOf(endpoint: Endpoint): z.ZodObject {
  const shape: Record<string, z.ZodType> = {
    ...endpoint.pathParams?.shape,
    ...endpoint.query?.shape,
    ...endpoint.body?.shape,
  };
  if (endpoint.response === "list") Object.assign(shape, allPagesOptions);
  if (endpoint.filters) Object.assign(shape, endpoint.filters.shape, scanOptions);
  if (endpoint.response === "list" || endpoint.response === "record") {
    if (endpoint.method === "GET") shape.fields = fieldsOptionOf(endpoint);
  }
  if (endpoint.method !== "GET" && endpoint.kind !== "run") shape.idempotency_key = idempotencyOption;
  return z.object(shape).strict();
}

export const truncatedMarker = z
  .object({ shown: z.number().int(), omitted: z.number().int(), hint: z.string() })
  .optional();

/** The endpoint's record with every field optional: what a `fields` projection may leave of it. */
export function looseRecordOf(endpoint: Endpoint): z.ZodType {
  return endpoint.record instanceof z.ZodObject ? endpoint.record.partial() : endpoint.record;
}

/** Output schemas are permissive on purpose: they describe the shape without failing a call on
 * extra or missing fields from another implementation of the contract, or a `fields` projection. */
export function outputSchemaOf(endpoint: Endpoint): z.ZodObject {
  const record = looseRecordOf(endpoint);
  switch (endpoint.response) {
    case "bare":
      return record as z.ZodObject;
    case "record":
      if (endpoint.method === "GET") return z.object({ data: record });
      return z.object({
        data: record,
        outcome: z.enum(WRITE_OUTCOMES),
      });
    case "collection":
      return z.object({ data: z.array(record), truncated: truncatedMarker });
    case "list":
      return z.object({
        data: z.array(record),
        // With a filter the platform lacks: the matches (so far, while scan.complete is false).
        total: z.number().int(),
        // Absent for count_only.
        per_page: z.number().int().optional(),
        page: z.number().int().optional(),
        last_page: z.number().int().optional(),
        offset: z.number().int().optional(),
        next: z.record(z.string(), z.unknown()).optional(),
        pages_fetched: z.number().int().optional(),
        stopped_early: z.boolean().optional(),
        stopped_by: z.enum(["max_items", "result_cap", "deadline", "scan_budget"]).optional(),
        scan: z
          .object({
            records_scanned: z.number().int(),
            pages_scanned: z.number().int(),
            complete: z.boolean(),
            reused: z.boolean(),
          })
          .optional(),
        truncated: truncatedMarker,
      });
  }
}

export type JsonSchema = Record<string, unknown>;

/**
 * Keywords models gain little from: the server enforces them anyway (every argument is validated
 * with the full Zod schema before a request) and names the field when one is broken.
 */
const ENFORCED_NOT_SHOWN = new Set([
  "$schema",
  "propertyNames",
  "pattern",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
]);
/** Bounds so large they say nothing but "a number". */
const NOISE_BOUND = 5_000;

/**
 * Removes what costs tokens in every conversation and tells a model nothing it needs (pure).
 * Kept: types, enums, formats, small bounds (per_page <= 100), descriptions, required,
 * additionalProperties: false.
 */
function compactJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(compactJsonSchema);
  if (node === null || typeof node !== "object") return node;
  const out: JsonSchema = {};
  const src = node as JsonSchema;
  for (const [key, value] of Object.entries(src)) {
    if (ENFORCED_NOT_SHOWN.has(key)) continue;
    if (
      (key === "maximum" || key === "minimum") &&
      typeof value === "number" &&
      Math.abs(value) >= NOISE_BOUND
    )
      continue;
    if (key === "exclusiveMinimum" && value === 0) continue;
    if (key === "minimum" && (value === 0 || value === 1)) continue;
    // Unknown fields are refused by name at call time; saying so in every schema costs ~165 tokens.
    if (key === "additionalProperties" && value === false) continue;
    if (key === "additionalProperties" && typeof value === "object" && value !== null) {
      if (Object.keys(value).length === 0) continue;
    }
    out[key] = compactJsonSchema(value);
  }
  return out;
}

export function toToolJsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const json = z.toJSONSchema(schema, { target: "draft-7", io, unrepresentable: "any" });
  return compactJsonSchema(json) as JsonSchema;
}
