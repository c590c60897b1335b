/**
 * The webhook envelope of CONTRACT.md "Webhooks": `{ id, event, tenant_id, created_at, data }`,
 * and what an event is about (the scope that reads it, the records it names). Pure.
 */
import { z } from "zod";
import { RECORD_KINDS } from "./catalog.js";
import { isScope, type Scope } from "./scopes.js";

export const WebhookEnvelope = z.looseObject({
  id: z.string().min(1).max(200),
  /** e.g. education.students.created */
  event: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2,}$/, "must look like area.resource.action"),
  tenant_id: z.number().int().positive(),
  created_at: z.string().min(1).max(64),
  data: z.record(z.string(), z.unknown()),
});
export type WebhookEnvelope = z.infer<typeof WebhookEnvelope>;

/** The read scope that covers an event (`education.students.created` -> `education.students.read`), if one exists. */
export function readScopeOfEvent(event: string): Scope | undefined {
  const [area, resource] = event.split(".");
  const scope = `${area}.${resource}.read`;
  return isScope(scope) ? scope : undefined;
}

/**
 * Whether an installation with these scopes may see an event: events about records it may not
 * read are hidden (their data would leak past the grant). Events no read scope covers are shown.
 */
export function eventVisibleWith(event: string, scopes: readonly string[]): boolean {
  const scope = readScopeOfEvent(event);
  return scope === undefined || scopes.includes(scope);
}

/** Which collection an event's records belong to, by its first two segments (from the catalog). */
const COLLECTIONS = new Map(RECORD_KINDS.map((k) => [k.eventPrefix, k.collection]));

/**
 * The records an event touches, as (collection, id): the record under `data` (`data.student.id`),
 * whatever its key is named. Ids that are not positive integers are ignored.
 */
export function recordsTouched(envelope: Pick<WebhookEnvelope, "event" | "data">): {
  collection: string;
  id: number;
}[] {
  const [area, resource] = envelope.event.split(".");
  const collection = COLLECTIONS.get(`${area}.${resource}`);
  if (!collection) return [];
  const out: { collection: string; id: number }[] = [];
  for (const value of Object.values(envelope.data)) {
    const id = (value as { id?: unknown } | null)?.id;
    if (typeof id === "number" && Number.isSafeInteger(id) && id > 0) out.push({ collection, id });
  }
  return out;
}
