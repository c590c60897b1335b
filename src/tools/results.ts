/**
 * Shaping what a model reads: fields projected, size capped with a visible marker, and a compact
 * text rendering beside the structured content. All pure. Untrusted text is cleaned by
 * text/clean.ts (sanitize) before it gets here; error messages are cleaned here, as they may
 * quote the platform.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import { cleanText } from "../text/clean.js";

export const DEFAULT_MAX_RESULT_BYTES = 60_000;

export function projectFields<T>(record: T, fields: readonly string[] | undefined): T {
  if (!fields || record === null || typeof record !== "object" || Array.isArray(record)) return record;
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (Object.hasOwn(record, f)) out[f] = (record as Record<string, unknown>)[f];
  }
  return out as T;
}

export interface Truncation {
  shown: number;
  omitted: number;
  hint: string;
}

const byteLength = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/**
 * Caps the result at `maxBytes` by dropping items from the end of `items`, never silently: the
 * marker says how many were left out and `hint` how to get them. `minItems` are kept whatever
 * their size: an answer resumed by `next` must make progress, or following it would never end.
 */
export function capItems<T>(
  items: readonly T[],
  envelopeBytes: number,
  maxBytes: number,
  hint: string,
  minItems = 0,
): { items: T[]; truncated?: Truncation } {
  let size = envelopeBytes;
  let count = 0;
  for (const item of items) {
    const next = size + byteLength(item) + 1;
    if (next > maxBytes && count >= minItems) break;
    size = next;
    count++;
  }
  if (count === items.length) return { items: [...items] };
  return {
    items: items.slice(0, count),
    truncated: { shown: count, omitted: items.length - count, hint },
  };
}

/** The structured content, and beside it a compact text rendering: one summary line, then JSON. */
export function toolResult(structured: Record<string, unknown>, summary?: string): CallToolResult {
  const json = JSON.stringify(structured);
  return {
    content: [{ type: "text", text: summary ? `${summary}\n${json}` : json }],
    structuredContent: structured,
  };
}

export function errorResult(message: string): CallToolResult {
  return { content: [{ type: "text", text: cleanText(message) }], isError: true };
}
