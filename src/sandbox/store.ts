/**
 * The sandbox's state: per tenant, one ordered map per collection, plus sent notifications.
 *
 * Id counters are global per collection (as one auto-increment table serving every tenant would
 * be), so an id of another tenant's record exists but is never visible: that is what makes the
 * tenant-isolation tests meaningful.
 */
import {
  RECORD_COLLECTIONS,
  type RecordCollection,
  type School,
  type StoredRecord,
  tenantSeed,
} from "./data.js";
import { isoWithOffset } from "./time.js";

export interface NotificationRecord {
  id: string;
  status: "queued";
  channel: string;
  to: string;
  message: string;
  created_at: string;
}

export type Collection = RecordCollection | "notifications";

export const COLLECTIONS: readonly Collection[] = [...RECORD_COLLECTIONS, "notifications"];

export function isRecordCollection(name: string): name is RecordCollection {
  return (RECORD_COLLECTIONS as readonly string[]).includes(name);
}

/** The collection a reference field points into: `grade_id` -> grades, `academic_year_id` -> academic_years. */
export function referencedCollection(field: string): RecordCollection | undefined {
  if (!field.endsWith("_id")) return undefined;
  const name = `${field.slice(0, -3)}s`;
  return isRecordCollection(name) ? name : undefined;
}

interface TenantState {
  school: School;
  collections: Record<RecordCollection, Map<number, StoredRecord>>;
  notifications: NotificationRecord[];
}

export interface ListOptions {
  page: number;
  perPage: number;
  search?: string;
  /** Exact matches on record fields, e.g. `{ grade_id: 5 }`. */
  filters?: Record<string, unknown>;
}

export interface Page<T> {
  data: T[];
  total: number;
  per_page: number;
  current_page: number;
  last_page: number;
}

/** The fields `search` looks at: names, codes, emails, phones, national ids (and job titles). */
const SEARCH_FIELDS = ["full_name", "name", "code", "email", "phone", "national_id", "job_title"];

export class Store {
  private readonly tenants = new Map<number, TenantState>();
  private readonly lastIds = new Map<RecordCollection, number>();

  /** Creates the tenant's demo data on first use. */
  ensureTenant(tenantId: number): void {
    if (this.tenants.has(tenantId)) return;
    const seed = tenantSeed(tenantId);
    // Seed ids start at 1 per collection; shift them (and the references) past the ids in use.
    const offsets = new Map(RECORD_COLLECTIONS.map((name) => [name, this.lastIds.get(name) ?? 0]));
    const shifted = (record: StoredRecord): StoredRecord => {
      if (RECORD_COLLECTIONS.every((name) => offsets.get(name) === 0)) return record;
      const copy: StoredRecord = { ...record };
      for (const [field, value] of Object.entries(record)) {
        const target = field === "id" ? undefined : referencedCollection(field);
        if (typeof value === "number" && target) copy[field] = value + offsets.get(target)!;
      }
      return copy;
    };
    const collections = {} as TenantState["collections"];
    for (const name of RECORD_COLLECTIONS) {
      const offset = offsets.get(name)!;
      const records = seed[name].map((record) => {
        const moved = shifted(record);
        return offset === 0 ? moved : { ...moved, id: record.id + offset };
      });
      collections[name] = new Map(records.map((r) => [r.id, r]));
      this.lastIds.set(name, offset + records.length);
    }
    this.tenants.set(tenantId, { school: seed.school, collections, notifications: [] });
  }

  hasTenant(tenantId: number): boolean {
    return this.tenants.has(tenantId);
  }

  school(tenantId: number): School {
    return this.tenant(tenantId).school;
  }

  /** A timestamp in the tenant's own UTC offset. */
  stamp(tenantId: number, epochMs: number): string {
    return isoWithOffset(epochMs, this.tenant(tenantId).school.utcOffsetMinutes);
  }

  get(tenantId: number, collection: RecordCollection, id: number): StoredRecord | undefined {
    return this.tenant(tenantId).collections[collection].get(id);
  }

  all(tenantId: number, collection: RecordCollection): StoredRecord[] {
    return [...this.tenant(tenantId).collections[collection].values()];
  }

  findBy(
    tenantId: number,
    collection: RecordCollection,
    field: string,
    value: string,
  ): StoredRecord | undefined {
    const wanted = value.toLowerCase();
    for (const record of this.tenant(tenantId).collections[collection].values()) {
      const current = record[field];
      if (typeof current === "string" && current.toLowerCase() === wanted) return record;
    }
    return undefined;
  }

  list(tenantId: number, collection: RecordCollection, options: ListOptions): Page<StoredRecord> {
    const needle = options.search?.trim().toLowerCase();
    const filters = Object.entries(options.filters ?? {}).filter(([, v]) => v !== undefined);
    const matches = this.all(tenantId, collection).filter(
      (record) =>
        filters.every(([field, value]) => record[field] === value) &&
        (!needle ||
          SEARCH_FIELDS.some((f) =>
            String(record[f] ?? "")
              .toLowerCase()
              .includes(needle),
          )),
    );
    const start = (options.page - 1) * options.perPage;
    return {
      data: matches.slice(start, start + options.perPage),
      total: matches.length,
      per_page: options.perPage,
      current_page: options.page,
      // At least 1: an empty list still has one (empty) page.
      last_page: Math.max(1, Math.ceil(matches.length / options.perPage)),
    };
  }

  insert(
    tenantId: number,
    collection: RecordCollection,
    fields: Record<string, unknown>,
    nowMs: number,
  ): StoredRecord {
    const now = this.stamp(tenantId, nowMs);
    const record: StoredRecord = { id: this.nextId(collection), ...fields, created_at: now, updated_at: now };
    this.tenant(tenantId).collections[collection].set(record.id, record);
    return record;
  }

  update(
    tenantId: number,
    collection: RecordCollection,
    id: number,
    fields: Record<string, unknown>,
    nowMs: number,
  ): StoredRecord | undefined {
    const map = this.tenant(tenantId).collections[collection];
    const current = map.get(id);
    if (!current) return undefined;
    // A new object rather than a mutation: responses already handed out keep their snapshot.
    const next: StoredRecord = { ...current, ...fields, id, updated_at: this.stamp(tenantId, nowMs) };
    map.set(id, next);
    return next;
  }

  addNotification(tenantId: number, notification: NotificationRecord): void {
    this.tenant(tenantId).notifications.push(notification);
  }

  /** Copies, so a test can count or inspect without being able to corrupt the state. */
  records(tenantId: number, collection: Collection): Array<StoredRecord | NotificationRecord> {
    const tenant = this.tenants.get(tenantId);
    if (!tenant) return [];
    if (collection !== "notifications" && !isRecordCollection(collection)) {
      throw new Error(`Unknown collection ${String(collection)}; one of ${COLLECTIONS.join(", ")}`);
    }
    const source = collection === "notifications" ? tenant.notifications : this.all(tenantId, collection);
    return structuredClone(source);
  }

  private tenant(tenantId: number): TenantState {
    const tenant = this.tenants.get(tenantId);
    if (!tenant) throw new Error(`Tenant ${tenantId} has no data; call ensureTenant first`);
    return tenant;
  }

  private nextId(collection: RecordCollection): number {
    const id = (this.lastIds.get(collection) ?? 0) + 1;
    this.lastIds.set(collection, id);
    return id;
  }
}
