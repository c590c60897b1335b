/**
 * Scans behind the filters the platform lacks (the catalog's `filters`): the server reads the
 * list 100 records a page, keeps the matches, and serves pages of them. One scan serves every
 * page of one filtered listing, so following `next` costs the platform nothing more; it lives in
 * memory per installation, a few minutes after its last use, a bounded number at once.
 *
 * A scan stopped by the deadline (a very large list) keeps its place: the next call continues it.
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { collectPages, type RequestClient } from "../client/paging.js";
import type { Query } from "../client/url.js";
import { canonicalJson } from "../text/canonical-json.js";
import { sanitize } from "../text/clean.js";

export const SCAN_TTL_MS = 5 * 60 * 1000;
export const MAX_SCANS = 20;
/** Platform pages one call reads at most (5,000 records), whatever the deadline: the rate budget. */
export const SCAN_PAGES_PER_CALL = 50;
const PER_PAGE = 100;

export interface ListScan {
  readonly id: string;
  /** What the scan is of: the installation, the tool, its search and filters. */
  readonly signature: string;
  /** Sanitized records that match, in the platform's order. */
  readonly matches: Record<string, unknown>[];
  recordsScanned: number;
  pagesScanned: number;
  complete: boolean;
  /** Why an incomplete scan paused: the call's deadline, or its page budget. */
  stoppedBy?: ScanStop;
  lastUsed: number;
  /** The continuation in progress, shared by concurrent callers so no page is read twice. */
  advancing?: Promise<void>;
}

export type Filters = Record<string, unknown>;
export type ScanStop = "deadline" | "scan_budget";

/** Equality on every given field (pure). */
export function matchesFilters(record: unknown, filters: Filters): boolean {
  if (record === null || typeof record !== "object") return false;
  const fields = record as Record<string, unknown>;
  return Object.entries(filters).every(([name, value]) => fields[name] === value);
}

/** Stable for the same listing whatever the argument order (pure). */
export function scanSignature(
  installationId: string,
  tool: string,
  /** What goes to the platform: search, and a platform filter. */
  query: Query,
  filters: Filters,
): string {
  return canonicalJson([installationId, tool, query, filters]);
}

export class ListScans {
  readonly #scans = new Map<string, ListScan>();

  constructor(
    private readonly ttlMs = SCAN_TTL_MS,
    private readonly max = MAX_SCANS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The scan `id` names, if it is still kept and is of this listing. */
  find(id: string | undefined, signature: string): ListScan | undefined {
    this.#expire();
    const scan = id === undefined ? undefined : this.#scans.get(id);
    if (!scan || scan.signature !== signature) return undefined;
    scan.lastUsed = this.now();
    // Most recently used last, so eviction drops the least recently used.
    this.#scans.delete(scan.id);
    this.#scans.set(scan.id, scan);
    return scan;
  }

  start(signature: string): ListScan {
    this.#expire();
    const scan: ListScan = {
      id: randomUUID(),
      signature,
      matches: [],
      recordsScanned: 0,
      pagesScanned: 0,
      complete: false,
      lastUsed: this.now(),
    };
    this.#scans.set(scan.id, scan);
    while (this.#scans.size > this.max) this.#scans.delete(this.#scans.keys().next().value as string);
    return scan;
  }

  /** Forgets every scan: kept records must not outlive the grant that let the platform serve them. */
  clear(): void {
    this.#scans.clear();
  }

  #expire() {
    const oldest = this.now() - this.ttlMs;
    for (const [id, scan] of this.#scans) if (scan.lastUsed < oldest) this.#scans.delete(id);
  }
}

export interface AdvanceOptions {
  path: string;
  /** The list's record, which every record scanned is checked against. */
  record: z.ZodType;
  /** What goes to the platform: `search` (and a platform filter) only, never our filters. */
  query: Query;
  filters: Filters;
  deadline: AbortSignal;
  signal: AbortSignal;
}

/**
 * Reads the next pages of an incomplete scan, up to the end of the list, the page budget or the
 * deadline. Returns the requests made. A failure leaves the scan where it was.
 */
export async function advanceScan(
  client: RequestClient,
  scan: ListScan,
  options: AdvanceOptions,
): Promise<number> {
  if (scan.complete) return 0;
  let requests = 0;
  const run = async () => {
    const collected = await collectPages(client, {
      path: options.path,
      record: options.record,
      query: options.query,
      perPage: PER_PAGE,
      offset: scan.recordsScanned,
      maxItems: SCAN_PAGES_PER_CALL * PER_PAGE,
      signal: options.signal,
      deadline: options.deadline,
    });
    requests = collected.pagesFetched;
    for (const record of collected.items) {
      if (matchesFilters(record, options.filters))
        scan.matches.push(sanitize(record) as Record<string, unknown>);
    }
    scan.recordsScanned += collected.items.length;
    scan.pagesScanned += collected.pagesFetched;
    scan.complete = !collected.truncated && !collected.deadlineReached;
    scan.stoppedBy = collected.deadlineReached ? "deadline" : collected.truncated ? "scan_budget" : undefined;
  };
  // One continuation at a time per scan; a second caller waits for it instead of reading again.
  // (Its failure is its caller's to report; this one then tries for itself.)
  while (scan.advancing) await scan.advancing.catch(() => {});
  if (scan.complete) return 0;
  scan.advancing = run().finally(() => {
    scan.advancing = undefined;
  });
  await scan.advancing;
  return requests;
}
