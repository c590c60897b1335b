/**
 * Paging over the contract's list envelope `{ data, total, per_page, current_page, last_page }`
 * as an async iterator: the first page first (it tells how many pages exist), then the rest with
 * bounded concurrency, always yielded in page order, stopping at maxItems. A listing can start
 * from a record offset, and stop at a deadline with what it has, so a caller can resume it exactly.
 */
import { z } from "zod";
import { listEnvelope } from "../platform/envelopes.js";
import type { ApiResponse, CheckedRequestOptions } from "./client.js";
import type { Query } from "./url.js";

/** The part of OktaClient paging needs (lets tests and other layers pass a stand-in). */
export interface RequestClient {
  request<T>(options: CheckedRequestOptions<T>): Promise<ApiResponse<T>>;
}

export interface PaginateOptions {
  /** A list endpoint, relative to the base URL. */
  path: string;
  /** Filters (search, grade_id, ...); `page` and `per_page` are set by the pager. */
  query?: Query;
  /** 1..100; the contract's maximum by default, to make the fewest calls. */
  perPage?: number;
  /** Stop after this many items. */
  maxItems?: number;
  /** Pages in flight at once after the first. */
  concurrency?: number;
  signal?: AbortSignal;
  /** The page to start from (default 1). */
  firstPage?: number;
  /** The contract's record of this list: every item is checked against it (default: anything). */
  record?: z.ZodType;
}

export interface CollectOptions extends Omit<PaginateOptions, "firstPage"> {
  /** Records to skip from the start of the listing (pages of perPage), to resume it. */
  offset?: number;
  /** When it fires, paging stops with the items collected so far (pages in flight are dropped). */
  deadline?: AbortSignal;
}

export interface Page<T> {
  items: T[];
  page: number;
  total: number | undefined;
  /** Known from the envelope (or total / per_page); undefined for an implementation that omits both. */
  lastPage: number | undefined;
}

export interface CollectedPages<T> {
  items: T[];
  /** The platform's total (or offset + the items seen, when the platform gives none or no page came). */
  total: number;
  pagesFetched: number;
  /** True when maxItems stopped the paging while more items existed. */
  truncated: boolean;
  /** True when the deadline stopped the paging before the listing's end. */
  deadlineReached: boolean;
}

/** Pages in order, each fetched at most once; the generator form of the pager. */
export async function* paginatePages<T = unknown>(
  client: RequestClient,
  options: PaginateOptions,
): AsyncGenerator<Page<T>, void, undefined> {
  if (options.maxItems !== undefined && !(options.maxItems >= 1)) {
    throw new RangeError("maxItems must be at least 1");
  }
  // 100 is the contract's maximum per_page.
  const perPage = Math.min(100, Math.max(1, Math.floor(options.perPage ?? 100)));
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const startPage = Math.max(1, Math.floor(options.firstPage ?? 1));
  // Our own controller, so pages still in flight are cancelled when the consumer stops early.
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });

  // A page that is no list envelope (or holds a record off the contract) is an
  // UnexpectedResponseError naming the field, from the client.
  const envelope = listEnvelope(options.record ?? z.unknown());
  const fetchPage = async (page: number): Promise<Page<T> & { perPage: number }> => {
    const res = await client.request({
      method: "GET",
      path: options.path,
      query: { ...options.query, page, per_page: perPage },
      signal: controller.signal,
      expect: envelope,
    });
    const env = res.body;
    // The server's per_page is authoritative (it may clamp ours) for the page arithmetic.
    const servedPerPage = env.per_page || perPage;
    const lastPage =
      env.last_page ??
      (env.total !== undefined ? Math.max(1, Math.ceil(env.total / servedPerPage)) : undefined);
    return { items: env.data as T[], page, total: env.total, lastPage, perPage: servedPerPage };
  };

  try {
    const first = await fetchPage(startPage);
    const maxItems = options.maxItems;
    // Enough pages for maxItems, never more than the platform has.
    const pagesForMax =
      maxItems === undefined ? Number.POSITIVE_INFINITY : Math.ceil(maxItems / first.perPage);
    const lastForMax = startPage - 1 + pagesForMax;
    if (first.lastPage === undefined) {
      // No page count (another implementation of the contract): walk one by one until a short page.
      yield first;
      let previous = first;
      for (
        let page = startPage + 1;
        page <= lastForMax && previous.items.length >= previous.perPage;
        page++
      ) {
        previous = await fetchPage(page);
        yield previous;
      }
      return;
    }
    const lastWanted = first.items.length === 0 ? startPage : Math.min(first.lastPage, lastForMax);
    // A sliding window of `concurrency` requests, awaited in page order. It is filled before
    // the first page is yielded, so the next pages load while the consumer handles the first.
    const window: Promise<Page<T>>[] = [];
    let nextPage = startPage + 1;
    const launch = () => {
      const pending = fetchPage(nextPage++);
      // Rejections are observed when awaited; this keeps an abandoned one from being "unhandled".
      pending.catch(() => {});
      window.push(pending);
    };
    while (nextPage <= lastWanted && window.length < concurrency) launch();
    yield first;
    while (window.length > 0) {
      const page = await window.shift()!;
      if (nextPage <= lastWanted) launch();
      yield page;
      // A page past the end (the data shrank while paging) ends it.
      if (page.items.length === 0) return;
    }
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    controller.abort();
  }
}

/** Items of a list endpoint, in order, up to maxItems. */
export async function* paginate<T = unknown>(
  client: RequestClient,
  options: PaginateOptions,
): AsyncGenerator<T, void, undefined> {
  let yielded = 0;
  const max = options.maxItems ?? Number.POSITIVE_INFINITY;
  for await (const page of paginatePages<T>(client, options)) {
    for (const item of page.items) {
      yield item;
      if (++yielded >= max) return;
    }
  }
}

/**
 * All items from `offset` (up to maxItems) with the counts a tool reports. At the deadline it
 * returns what it has: whole pages in order, so `offset + items.length` is where to resume.
 */
export async function collectPages<T = unknown>(
  client: RequestClient,
  options: CollectOptions,
): Promise<CollectedPages<T>> {
  const { offset = 0, deadline, ...paging } = options;
  const perPage = Math.min(100, Math.max(1, Math.floor(options.perPage ?? 100)));
  const max = options.maxItems ?? Number.POSITIVE_INFINITY;
  // The contract's pages are fixed slices of perPage: the offset falls in one of them.
  let skip = offset % perPage;
  const items: T[] = [];
  let total: number | undefined;
  let pagesFetched = 0;
  let truncated = false;
  let deadlineReached = false;
  const signals = [options.signal, deadline].filter((s): s is AbortSignal => s !== undefined);
  try {
    for await (const page of paginatePages<T>(client, {
      ...paging,
      perPage,
      firstPage: Math.floor(offset / perPage) + 1,
      maxItems: Number.isFinite(max) ? max + skip : undefined,
      signal: signals.length > 0 ? AbortSignal.any(signals) : undefined,
    })) {
      pagesFetched += 1;
      total ??= page.total;
      const fresh = page.items.slice(skip);
      skip = 0;
      const room = max - items.length;
      items.push(...fresh.slice(0, room));
      if (items.length >= max) {
        const morePages = page.lastPage === undefined ? page.items.length > 0 : page.page < page.lastPage;
        truncated =
          fresh.length > room || morePages || (total !== undefined && total > offset + items.length);
        break;
      }
    }
  } catch (error) {
    // Our deadline, not the caller's cancellation: stop with the whole pages already in hand.
    if (!deadline?.aborted || options.signal?.aborted) throw error;
    deadlineReached = true;
  }
  return { items, total: total ?? offset + items.length, pagesFetched, truncated, deadlineReached };
}
