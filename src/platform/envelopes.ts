/**
 * How the platform wraps each answer (CONTRACT.md "Responses", the catalog's `response`), as
 * schemas the API client checks success bodies against; a `bare` answer is the record itself. Loose like the records: fields the contract does not name pass
 * through. The list envelope's counts are optional (an implementation may omit them, and the
 * pager copes), but a count that is there must be a count.
 */
import { z } from "zod";

const count = z.number().int().min(0).optional();

/**
 * Each envelope is built once per record schema and reused: building a zod object (and its first
 * parse, which compiles it) costs ~20 us, far more than checking an answer with it (~0.2 us).
 */
function once<T>(cache: WeakMap<z.ZodType, unknown>, record: z.ZodType, build: () => T): T {
  let known = cache.get(record) as T | undefined;
  if (known === undefined) {
    known = build();
    cache.set(record, known);
  }
  return known;
}

const lists = new WeakMap<z.ZodType, unknown>();
const records = new WeakMap<z.ZodType, unknown>();
const collections = new WeakMap<z.ZodType, unknown>();

/** `{ data: [...], total, per_page, current_page, last_page }` of a list endpoint. */
export function listEnvelope<R extends z.ZodType>(record: R) {
  return once(lists, record, () =>
    z.looseObject({
      data: z.array(record),
      total: count,
      per_page: count,
      current_page: count,
      last_page: count,
    }),
  );
}

/** `{ data: record }` */
export function recordEnvelope<R extends z.ZodType>(record: R) {
  return once(records, record, () => z.looseObject({ data: record }));
}

/** `{ data: [...] }` without paging (the report catalog). */
export function collectionEnvelope<R extends z.ZodType>(record: R) {
  return once(collections, record, () => z.looseObject({ data: z.array(record) }));
}
