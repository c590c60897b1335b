/**
 * What each endpoint does once a request is authenticated, authorised and valid.
 *
 * Most endpoints are generic: the catalog's kind and response shape say list / get / create /
 * update, and the scope names the collection (`education.students.read` -> students). Only the
 * few endpoints that are not about records have their own handler. Handlers check everything
 * before they change anything, so a refused request leaves no trace.
 */
import type { Endpoint, ToolName } from "../platform/catalog.js";
import type { Scope } from "../platform/scopes.js";
import type { RecordCollection, StoredRecord } from "./data.js";
import { addFieldError, type FieldErrors, notFound, validationFailed } from "./errors.js";
import { CAPABILITIES, queueNotification, type SendBody } from "./notifications.js";
import { reportCatalog, runReport } from "./reports.js";
import { isRecordCollection, referencedCollection, type Store } from "./store.js";

export interface Installation {
  readonly token: string;
  scopes: Scope[];
  readonly tenantId: number;
  readonly module: string;
  /** The (tenant, app) pair: idempotency keys and rate limits are kept per installation, not per token. */
  readonly key: string;
}

export interface Call {
  endpoint: Endpoint;
  installation: Installation;
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
  store: Store;
  nowMs: number;
}

/** A record created or updated: what an outgoing webhook announces. */
export interface RecordChange {
  event: string;
  /** The key under `data` in the webhook envelope: student, guardian, ... */
  singular: string;
  record: StoredRecord;
}

export interface Outcome {
  status: number;
  body: unknown;
  change?: RecordChange;
}

type Handler = (call: Call) => Outcome;

/** Fields whose value is unique per tenant; a create repeating one answers 200 with the existing record. */
const UNIQUE_FIELD: Partial<Record<RecordCollection, string>> = { subjects: "code", employees: "email" };

/** The collection an endpoint works on, named by its scope's middle segment. */
export function collectionOf(endpoint: Endpoint): RecordCollection | undefined {
  const segment = endpoint.scope?.split(".")[1];
  const name = segment === "directory" ? "employees" : segment;
  return name !== undefined && isRecordCollection(name) ? name : undefined;
}

/** `education.students.write` + created -> `education.students.created`. */
export function eventName(endpoint: Endpoint, action: "created" | "updated"): string {
  return `${endpoint.scope!.split(".").slice(0, -1).join(".")}.${action}`;
}

const singular = (collection: RecordCollection) => collection.replace(/s$/, "");

const SPECIAL: Partial<Record<ToolName, Handler>> = {
  whoami: ({ installation }) => ({
    status: 200,
    body: { tenant_id: installation.tenantId, module: installation.module, scopes: [...installation.scopes] },
  }),
  list_reports: () => ({ status: 200, body: { data: reportCatalog() } }),
  run_report: ({ store, installation, params, body, nowMs }) => ({
    status: 200,
    body: {
      data: runReport(
        store,
        installation.tenantId,
        params.key as string,
        (body.params as Record<string, unknown>) ?? {},
        nowMs,
      ),
    },
  }),
  get_notification_capabilities: () => ({ status: 200, body: { data: structuredClone(CAPABILITIES) } }),
  send_notification: ({ store, installation, body, nowMs }) => {
    const notification = queueNotification(
      body as unknown as SendBody,
      store.stamp(installation.tenantId, nowMs),
    );
    store.addNotification(installation.tenantId, notification);
    const { id, status, channel, to } = notification;
    return { status: 202, body: { data: { id, status, channel, to } } };
  },
};

const list: Handler = ({ endpoint, store, installation, query }) => {
  const { page = 1, per_page = 20, search, ...filters } = query;
  const collection = requireCollection(endpoint);
  return {
    status: 200,
    body: store.list(installation.tenantId, collection, {
      page: page as number,
      perPage: per_page as number,
      search: search as string | undefined,
      filters,
    }),
  };
};

const get: Handler = ({ endpoint, store, installation, params }) => {
  const record = store.get(installation.tenantId, requireCollection(endpoint), params.id as number);
  if (!record) throw notFound();
  return { status: 200, body: { data: record } };
};

const create: Handler = ({ endpoint, store, installation, body, nowMs }) => {
  const collection = requireCollection(endpoint);
  const { tenantId } = installation;
  const uniqueField = UNIQUE_FIELD[collection];
  const uniqueValue = uniqueField ? body[uniqueField] : undefined;
  if (uniqueField && typeof uniqueValue === "string") {
    const existing = store.findBy(tenantId, collection, uniqueField, uniqueValue);
    if (existing) return { status: 200, body: { data: existing } };
  }
  checkReferences(store, tenantId, body, body);
  const record = store.insert(tenantId, collection, body, nowMs);
  return {
    status: endpoint.status,
    body: { data: record },
    change: { event: eventName(endpoint, "created"), singular: singular(collection), record },
  };
};

const update: Handler = ({ endpoint, store, installation, params, body, nowMs }) => {
  const collection = requireCollection(endpoint);
  const { tenantId } = installation;
  const id = params.id as number;
  const current = store.get(tenantId, collection, id);
  if (!current) throw notFound();
  const uniqueField = UNIQUE_FIELD[collection];
  const uniqueValue = uniqueField ? body[uniqueField] : undefined;
  if (uniqueField && typeof uniqueValue === "string") {
    const holder = store.findBy(tenantId, collection, uniqueField, uniqueValue);
    if (holder && holder.id !== id)
      throw validationFailed({ [uniqueField]: ["Already taken in this school"] });
  }
  checkReferences(store, tenantId, body, { ...current, ...body });
  const record = store.update(tenantId, collection, id, body, nowMs)!;
  return {
    status: endpoint.status,
    body: { data: record },
    change: { event: eventName(endpoint, "updated"), singular: singular(collection), record },
  };
};

/**
 * Ids in a write body must exist in the tenant (`grade_id` -> grades), and a section must belong
 * to the record's grade. The contract only says "an id that does not exist in the tenant gets
 * 422"; refusing a section of another grade is our reading of what the platform would do.
 */
function checkReferences(
  store: Store,
  tenantId: number,
  body: Record<string, unknown>,
  merged: Record<string, unknown>,
): void {
  const errors: FieldErrors = {};
  for (const [field, value] of Object.entries(body)) {
    const collection = referencedCollection(field);
    if (typeof value === "number" && collection && !store.get(tenantId, collection, value)) {
      addFieldError(
        errors,
        field,
        `No ${field.slice(0, -3).replace("_", " ")} with id ${value} in this school`,
      );
    }
  }
  if (
    Object.keys(errors).length === 0 &&
    typeof merged.section_id === "number" &&
    typeof merged.grade_id === "number"
  ) {
    const section = store.get(tenantId, "sections", merged.section_id);
    if (section && section.grade_id !== merged.grade_id) {
      const field = "section_id" in body ? "section_id" : "grade_id";
      addFieldError(
        errors,
        field,
        `Section ${section.name} (id ${section.id}) belongs to grade_id ${section.grade_id}, not ${merged.grade_id}`,
      );
    }
  }
  if (Object.keys(errors).length > 0) throw validationFailed(errors);
}

function requireCollection(endpoint: Endpoint): RecordCollection {
  const collection = collectionOf(endpoint);
  if (!collection) throw new Error(`${endpoint.tool} has no record collection`);
  return collection;
}

/** The handler of an endpoint; throws at start-up (not per request) when one is missing. */
export function handlerFor(endpoint: Endpoint): Handler {
  const special = SPECIAL[endpoint.tool];
  if (special) return special;
  const hasCollection = collectionOf(endpoint) !== undefined;
  if (hasCollection && endpoint.response === "list") return list;
  if (hasCollection && endpoint.kind === "read" && endpoint.pathParams) return get;
  if (hasCollection && endpoint.kind === "create") return create;
  if (hasCollection && endpoint.kind === "update") return update;
  throw new Error(`The sandbox has no handler for ${endpoint.tool}`);
}
