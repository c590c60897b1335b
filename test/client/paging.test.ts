import { afterEach, describe, expect, it } from "vitest";
import { type CheckedRequestOptions, OktaClient } from "../../src/client/client.js";
import { UnexpectedResponseError } from "../../src/client/errors.js";
import { collectPages, paginate } from "../../src/client/paging.js";
import { type Handler, json, type ScriptedServer, startServer } from "./scripted-server.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface Item {
  id: number;
}

/**
 * A list endpoint over ids 1..total following the contract's envelope. Later pages answer
 * faster, so completion order differs from page order and ordering bugs show.
 */
function listHandler(total: number, options: { omitCounts?: boolean } = {}): Handler {
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const page = Number(url.searchParams.get("page") ?? "1");
    const perPage = Number(url.searchParams.get("per_page") ?? "20");
    const lastPage = Math.max(1, Math.ceil(total / perPage));
    const data: Item[] = [];
    for (let id = (page - 1) * perPage + 1; id <= Math.min(total, page * perPage); id++) data.push({ id });
    const body = options.omitCounts
      ? { data }
      : { data, total, per_page: perPage, current_page: page, last_page: lastPage };
    setTimeout(() => json(200, body)(req, res, undefined as never, 0), Math.max(0, 40 - page * 3));
  };
}

async function setup(handler: Handler): Promise<{ server: ScriptedServer; client: OktaClient }> {
  const server = await startServer(handler);
  const client = new OktaClient({ baseUrl: `${server.url}/api/apps`, token: "okp_paging_token_1" });
  cleanups.push(
    () => server.close(),
    () => client.close(),
  );
  return { server, client };
}

const pagesRequested = (server: ScriptedServer) =>
  server.received.map((r) => Number(new URL(r.url, "http://x").searchParams.get("page")));

describe("paginate", () => {
  it("yields every item in order across pages, keeping the filters", async () => {
    const { server, client } = await setup(listHandler(250));
    const ids: number[] = [];
    for await (const item of paginate<Item>(client, {
      path: "/education/students",
      query: { search: "a b" },
      perPage: 100,
    })) {
      ids.push(item.id);
    }
    expect(ids).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(pagesRequested(server).sort()).toEqual([1, 2, 3]);
    for (const r of server.received) {
      const q = new URL(r.url, "http://x").searchParams;
      expect(q.get("search")).toBe("a b");
      expect(q.get("per_page")).toBe("100");
    }
  });

  it("runs at most `concurrency` pages at once, in order, and fetches only what maxItems needs", async () => {
    const { server, client } = await setup(listHandler(1_000));
    const ids: number[] = [];
    for await (const item of paginate<Item>(client, {
      path: "/education/students",
      perPage: 10,
      maxItems: 95,
      concurrency: 3,
    })) {
      ids.push(item.id);
    }
    expect(ids).toEqual(Array.from({ length: 95 }, (_, i) => i + 1));
    expect(pagesRequested(server).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(server.maxInFlight()).toBe(3);
  });

  it("walks one page at a time when the envelope has no counts", async () => {
    const { server, client } = await setup(listHandler(25, { omitCounts: true }));
    const ids: number[] = [];
    for await (const item of paginate<Item>(client, { path: "/education/grades", perPage: 10 }))
      ids.push(item.id);
    expect(ids).toHaveLength(25);
    expect(pagesRequested(server)).toEqual([1, 2, 3]);
  });

  it("stops cleanly when the consumer breaks early", async () => {
    const { client } = await setup(listHandler(500));
    const ids: number[] = [];
    for await (const item of paginate<Item>(client, { path: "/x", perPage: 10, concurrency: 4 })) {
      ids.push(item.id);
      if (ids.length === 15) break;
    }
    expect(ids).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
  });

  it("rejects an answer that is not a list envelope", async () => {
    const { client } = await setup(json(200, { data: { id: 1 } }));
    await expect(collectPages(client, { path: "/whoami" })).rejects.toBeInstanceOf(UnexpectedResponseError);
  });
});

describe("collectPages", () => {
  it("reports total, pages fetched and truncation by maxItems", async () => {
    const { client } = await setup(listHandler(250));
    const capped = await collectPages<Item>(client, { path: "/x", perPage: 100, maxItems: 150 });
    expect(capped.items.map((i) => i.id)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    expect(capped).toMatchObject({ total: 250, pagesFetched: 2, truncated: true });

    const all = await collectPages<Item>(client, { path: "/x", perPage: 100, maxItems: 250 });
    expect(all).toMatchObject({ total: 250, pagesFetched: 3, truncated: false });
    expect(all.items).toHaveLength(250);
  });

  it("starts at a record offset inside a page, fetching only the pages from there", async () => {
    const { server, client } = await setup(listHandler(250));
    const rest = await collectPages<Item>(client, { path: "/x", perPage: 100, offset: 130, maxItems: 100 });
    expect(rest.items.map((i) => i.id)).toEqual(Array.from({ length: 100 }, (_, i) => i + 131));
    expect(rest).toMatchObject({ total: 250, pagesFetched: 2, truncated: true, deadlineReached: false });
    expect(pagesRequested(server).sort()).toEqual([2, 3]);
  });

  it("stops at the deadline with the whole pages it has, in order; the caller's cancel still throws", async () => {
    const { client } = await setup(listHandler(250));
    const deadline = new AbortController();
    let seen = 0;
    const slowClient = {
      request: async <T>(options: CheckedRequestOptions<T>) => {
        // The third page is asked for after the deadline fired.
        if (++seen === 3) deadline.abort();
        return client.request(options);
      },
    };
    const cut = await collectPages<Item>(slowClient, {
      path: "/x",
      perPage: 50,
      concurrency: 1,
      deadline: deadline.signal,
    });
    expect(cut.deadlineReached).toBe(true);
    expect(cut.items.map((i) => i.id)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));

    const caller = new AbortController();
    caller.abort();
    await expect(
      collectPages(client, { path: "/x", signal: caller.signal, deadline: new AbortController().signal }),
    ).rejects.toThrow();
  });

  it("handles an empty list", async () => {
    const { server, client } = await setup(listHandler(0));
    expect(await collectPages(client, { path: "/x" })).toEqual({
      items: [],
      total: 0,
      pagesFetched: 1,
      truncated: false,
      deadlineReached: false,
    });
    expect(server.received).toHaveLength(1);
  });

  it("rejects maxItems below 1", async () => {
    const { client } = await setup(listHandler(5));
    await expect(collectPages(client, { path: "/x", maxItems: 0 })).rejects.toBeInstanceOf(RangeError);
  });
});
