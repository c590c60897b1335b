/**
 * Where run_report keeps its runs: the newest 50 in one process, or in the shared store, where
 * another instance pages them, a forget on any instance hides them on all, a client's id never
 * leaves its installation's namespace, and a store that does not answer is said, not thrown.
 * Against a real redis-server, and two in-process servers sharing it against the real sandbox.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.js";
import { ALL_SCOPES } from "../../src/platform/scopes.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { InMemorySharedStore } from "../../src/store/memory.js";
import {
  MAX_RUNS_IN_MEMORY,
  MemoryReportRuns,
  newReportRun,
  ReportRunsUnavailableError,
  SHARED_RUN_TTL_MS,
  SharedReportRuns,
} from "../../src/store/report-runs.js";
import { freePort } from "../e2e/webhook-harness.js";
import { connectInProcess, type InProcessHarness, sandboxWith, structured, textOf } from "../helpers.js";
import { redisConnections, redisForTests, redisRelay } from "./redis-server.js";

const redis = await redisForTests();
afterAll(async () => {
  await redis?.stop();
});

const run = (key = "staff_directory") => newReportRun(key, {}, { columns: ["a"], rows: [[1], [2]] });
/** Ids a client may put in `okta://reports/runs/{id}`: none is a run id, none may become a key. */
const NOT_RUN_IDS = ["", "x", "a:b", "with space", "okmcp:99:other:report-runs:1", "../../etc", "*"];

describe("MemoryReportRuns (one process)", () => {
  it("keeps the newest 50 and forgets them all at once", async () => {
    const runs = new MemoryReportRuns();
    const saved = Array.from({ length: MAX_RUNS_IN_MEMORY + 1 }, () => run());
    for (const r of saved) await runs.save(r);
    expect(await runs.get(saved[0]!.id)).toBeUndefined();
    expect(await runs.get(saved[1]!.id)).toEqual(saved[1]);
    expect(await runs.get(saved.at(-1)!.id)).toEqual(saved.at(-1));
    for (const id of NOT_RUN_IDS) expect(await runs.get(id)).toBeUndefined();
    await runs.forgetAll();
    expect(await runs.get(saved.at(-1)!.id)).toBeUndefined();
  });
});

describe("SharedReportRuns generations (forget without listing keys)", () => {
  it("a forget hides earlier runs, not later ones, even after its marker expired", async () => {
    let now = 1_000_000;
    const store = new InMemorySharedStore(() => now);
    const runs = new SharedReportRuns(store, () => "okmcp:42:sis", silentLogger());
    const before = run();
    await runs.save(before);
    await runs.forgetAll();
    const after = run();
    await runs.save(after);
    expect(await runs.get(before.id)).toBeUndefined();
    expect(await runs.get(after.id)).toEqual(after);
    // A second forget hides the runs of the first one's generation too.
    await runs.forgetAll();
    expect(await runs.get(after.id)).toBeUndefined();
    // Saved late in the marker's life, a run outlives the marker and stays readable after it.
    now += SHARED_RUN_TTL_MS * 1.5;
    const late = run();
    await runs.save(late);
    now += SHARED_RUN_TTL_MS * 0.6;
    expect(await store.get("okmcp:42:sis:report-runs-generation")).toBeUndefined();
    expect(await runs.get(late.id)).toEqual(late);
    // The forgotten runs are gone by then on their own TTL: none comes back.
    expect(await runs.get(before.id)).toBeUndefined();
    expect(await runs.get(after.id)).toBeUndefined();
  });

  it("a forget the store did not take is owed: no stored run is served until one lands, then runs page again", async () => {
    /** The store answers reads but takes no write while `away`: a forget (or a save) that does not land. */
    class WritesAway extends InMemorySharedStore {
      away = false;
      override async set(key: string, value: string, ttlMs: number): Promise<void> {
        if (this.away) throw new Error("store away");
        await super.set(key, value, ttlMs);
      }
    }
    const store = new WritesAway();
    const runs = new SharedReportRuns(store, () => "okmcp:42:sis", silentLogger());
    const generation = () => store.get("okmcp:42:sis:report-runs-generation");
    const before = run();
    await runs.save(before);
    store.away = true;
    await expect(runs.forgetAll()).rejects.toBeInstanceOf(ReportRunsUnavailableError);
    // The run is still in the store and reads would answer: it is withheld all the same.
    await expect(runs.get(before.id)).rejects.toMatchObject({ operation: "forget" });
    await expect(runs.save(run())).rejects.toMatchObject({ operation: "forget" });
    expect(await generation()).toBeUndefined();
    store.away = false;
    // The next read pays the forget first: the run made before it is gone.
    expect(await runs.get(before.id)).toBeUndefined();
    const paid = await generation();
    expect(paid).toBeDefined();
    // Paid once: later saves and reads do not forget again.
    const after = run();
    await runs.save(after);
    expect(await runs.get(after.id)).toEqual(after);
    expect(await generation()).toBe(paid);
  });

  it("forgets asked while one is in flight join it: one generation, and a run saved after it stays", async () => {
    /** Holds every generation write until released: a forget still on its way (Redis reconnecting). */
    class SlowWrites extends InMemorySharedStore {
      writes = 0;
      release!: () => void;
      held = new Promise<void>((resolve) => {
        this.release = resolve;
      });
      override async set(key: string, value: string, ttlMs: number): Promise<void> {
        if (key.endsWith("report-runs-generation")) {
          this.writes++;
          await this.held;
        }
        await super.set(key, value, ttlMs);
      }
    }
    const store = new SlowWrites();
    const runs = new SharedReportRuns(store, () => "okmcp:42:sis", silentLogger());
    const before = run();
    await runs.save(before);
    // The withdrawal's forget, then a retry and a read that pays the debt, all while it is held.
    const asked = [runs.forgetAll(), runs.forgetAll(), runs.get(before.id)];
    store.release();
    await Promise.all(asked);
    expect(store.writes).toBe(1);
    expect(runs.forgetOwed).toBe(false);
    const after = run();
    await runs.save(after);
    expect(await runs.get(after.id)).toEqual(after);
    expect(await runs.get(before.id)).toBeUndefined();
  });
});

describe.skipIf(!redis)("SharedReportRuns on Redis", () => {
  const connections = redisConnections(redis);
  const instance = (namespace = "okmcp:42:sis") =>
    new SharedReportRuns(connections.store(), () => namespace, silentLogger());

  it("a run saved by one instance is read by another, as JSON under the namespace with a one-hour TTL", async () => {
    const namespace = `okmcp:${Date.now()}:sis`;
    const [a, b] = [instance(namespace), instance(namespace)];
    const saved = run();
    await a.save(saved);
    expect(await b.get(saved.id)).toEqual(saved);
    const key = `${namespace}:report-runs:${saved.id}`;
    expect(JSON.parse((await connections.raw.get(key)) as string).run).toEqual(saved);
    const ttl = await connections.raw.pttl(key);
    expect(ttl).toBeGreaterThan(SHARED_RUN_TTL_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(SHARED_RUN_TTL_MS);
  });

  it("a forget on one instance hides the runs on every other; runs saved after it stay readable", async () => {
    const namespace = `okmcp:${Date.now()}:forget`;
    const [a, b, c] = [instance(namespace), instance(namespace), instance(namespace)];
    const before = run();
    await a.save(before);
    expect(await c.get(before.id)).toEqual(before);
    await b.forgetAll();
    expect(await a.get(before.id)).toBeUndefined();
    expect(await c.get(before.id)).toBeUndefined();
    const after = run();
    await c.save(after);
    expect(await a.get(after.id)).toEqual(after);
    expect(await connections.raw.pttl(`${namespace}:report-runs-generation`)).toBeGreaterThanOrEqual(
      SHARED_RUN_TTL_MS,
    );
  });

  it("another tenant's namespace does not hold the run, and a non-UUID id is not found, never a key", async () => {
    const north = instance(`okmcp:${Date.now()}:north`);
    const south = instance(`okmcp:${Date.now() + 1}:south`);
    const saved = run();
    await north.save(saved);
    expect(await south.get(saved.id)).toBeUndefined();
    const keys = await connections.raw.keys("*");
    for (const id of NOT_RUN_IDS) expect(await north.get(id)).toBeUndefined();
    // Nothing was read or written under a key a client spelled.
    expect(await connections.raw.keys("*")).toEqual(expect.arrayContaining(keys));
    expect((await connections.raw.keys("*")).length).toBe(keys.length);
  });

  it("a Redis that does not answer is a typed error on save and read, not a driver's", async () => {
    const store = connections.store(`redis://127.0.0.1:${await freePort()}`);
    const runs = new SharedReportRuns(store, () => "okmcp:42:sis", silentLogger());
    await expect(runs.save(run())).rejects.toBeInstanceOf(ReportRunsUnavailableError);
    await expect(runs.get(randomUUID())).rejects.toBeInstanceOf(ReportRunsUnavailableError);
    await expect(runs.forgetAll()).rejects.toBeInstanceOf(ReportRunsUnavailableError);
  });
});

type Page = {
  data: { rows: unknown[][] };
  run_id?: string;
  total_rows: number;
  next?: Record<string, unknown>;
  resource_uri?: string;
  truncated?: { hint: string };
};

describe.skipIf(!redis)("run_report on two instances sharing Redis", () => {
  const NORTH = "sbx_runs_north_0001";
  const SOUTH = "sbx_runs_south_0001";
  let sandbox: Sandbox;
  const connections = redisConnections(redis);
  const harnesses: InProcessHarness[] = [];
  /** One instance: its own Redis connection (another process's, as far as state goes). */
  const connect = async (token: string, url?: string) => {
    const sharedStore = connections.store(url);
    const h = await connectInProcess({ baseUrl: sandbox.baseUrl, token }, {}, {}, { sharedStore });
    harnesses.push(h);
    return h;
  };
  const call = async (h: InProcessHarness, args: Record<string, unknown>) =>
    h.client.callTool({ name: "run_report", arguments: args });

  beforeAll(async () => {
    sandbox = await sandboxWith({
      installations: [
        { token: NORTH, scopes: ALL_SCOPES, tenantId: 42 },
        { token: SOUTH, scopes: ALL_SCOPES, tenantId: 43 },
      ],
    });
  });
  afterAll(async () => {
    for (const h of harnesses) await h.close();
    await sandbox?.stop();
  });

  it("pages alternate between the instances and read every row once; the run reads as a resource on either", async () => {
    const [a, b] = [await connect(NORTH), await connect(NORTH)];
    sandbox.clearRequests();
    const pages: Page[] = [];
    let args: Record<string, unknown> | undefined = {
      key: "guardian_contact_list",
      params: { grade_id: 1 },
      row_limit: 25,
    };
    while (args) {
      const result = await call(pages.length % 2 === 0 ? a : b, args);
      expect(result.isError, textOf(result)).toBeFalsy();
      pages.push(structured<Page>(result));
      args = pages.at(-1)?.next;
      expect(pages.length).toBeLessThanOrEqual(40);
    }
    expect(pages.length).toBeGreaterThan(3);
    expect(sandbox.requests.filter((r) => r.tool === "run_report")).toHaveLength(1);
    const rows = pages.flatMap((p) => p.data.rows);
    expect(rows).toHaveLength(pages[0]!.total_rows);
    expect(new Set(rows.map((r) => JSON.stringify(r))).size).toBe(rows.length);
    const read = await b.client.readResource({ uri: pages[0]!.resource_uri! });
    const body = JSON.parse((read.contents[0] as { text: string }).text) as { result: { rows: unknown[][] } };
    expect(body.result.rows).toEqual(rows);
  });

  it("a withdrawn reports scope noticed by one instance hides the run on the other", async () => {
    const [a, b] = [await connect(NORTH), await connect(NORTH)];
    const first = structured<Page>(await call(a, { key: "staff_directory", row_limit: 2 }));
    expect(first.next).toBeDefined();
    sandbox.setScopes(
      NORTH,
      ALL_SCOPES.filter((s) => s !== "reports.builder.read"),
    );
    await b.installation.refreshWhoami();
    // The forget runs in the background of the scope change: done once B itself no longer reads it.
    for (let tries = 0; await b.installation.reportRuns.get(first.run_id!); tries++) {
      expect(tries, "B forgot the run").toBeLessThan(1_000);
      await new Promise((r) => setTimeout(r, 10));
    }
    sandbox.setScopes(NORTH, ALL_SCOPES);
    await b.installation.refreshWhoami();
    // A never saw the grant change: the shared generation hides the run from it all the same.
    const again = await call(a, first.next!);
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/No stored run with this id here/);
    expect(textOf(again)).toMatch(/shared store for 60 minutes/);
    await expect(a.client.readResource({ uri: first.resource_uri! })).rejects.toThrow(/No stored report run/);
  });

  it("a withdrawal Redis did not take: no old run is served after a re-grant, and the forget is paid once Redis is back", async () => {
    const relay = await redisRelay(Number(new URL(redis!.url).port));
    const a = await connect(NORTH);
    const b = await connect(NORTH, `redis://127.0.0.1:${relay.port}`);
    const first = structured<Page>(await call(b, { key: "staff_directory", row_limit: 2 }));
    expect(first.next).toBeDefined();
    const generationKey = `${b.installation.storeNamespace}:report-runs-generation`;
    const generationBefore = await connections.raw.get(generationKey);
    await relay.down();
    sandbox.setScopes(
      NORTH,
      ALL_SCOPES.filter((s) => s !== "reports.builder.read"),
    );
    await b.installation.refreshWhoami();
    sandbox.setScopes(NORTH, ALL_SCOPES);
    await b.installation.refreshWhoami();
    // B owes the forget: it serves no stored run, says why, and sends nothing. (Its store gives
    // up on this read's commands no earlier than on the forget queued before them.)
    sandbox.clearRequests();
    const withheld = await call(b, first.next!);
    expect(withheld.isError).toBe(true);
    expect(textOf(withheld)).toMatch(
      /Stored report runs are unavailable until the shared store answers again/,
    );
    expect(textOf(withheld)).toMatch(/run_report without run_id/);
    expect(sandbox.requests).toEqual([]);
    await expect(b.client.readResource({ uri: first.resource_uri! })).rejects.toThrow(
      /Stored report runs are unavailable until the shared store answers again/,
    );
    // A new run meanwhile: its rows are shown, paging is said to be unavailable.
    const unstored = structured<Page>(await call(b, { key: "staff_directory", row_limit: 2 }));
    expect(unstored.data.rows).toHaveLength(2);
    expect(unstored.next).toBeUndefined();
    expect(unstored.truncated?.hint).toMatch(/could not be stored/);
    expect(await connections.raw.get(generationKey)).toBe(generationBefore);
    await relay.up();
    // B pays at its whoami re-reads: A, which never saw the grant change, stops serving the run.
    for (let tries = 0; await a.installation.reportRuns.get(first.run_id!); tries++) {
      expect(tries, "B's forget reached A").toBeLessThan(300);
      await b.installation.refreshWhoami();
      await new Promise((r) => setTimeout(r, 20));
    }
    const paid = await connections.raw.get(generationKey);
    expect(paid).not.toBe(generationBefore);
    for (const h of [a, b]) {
      const again = await call(h, first.next!);
      expect(again.isError).toBe(true);
      expect(textOf(again)).toMatch(/No stored run with this id here/);
    }
    // The debt is paid once: B stores and pages new runs, and forgets nothing more.
    const fresh = structured<Page>(await call(b, { key: "staff_directory", row_limit: 2 }));
    expect(fresh.next).toBeDefined();
    const second = await call(a, fresh.next!);
    expect(second.isError, textOf(second)).toBeFalsy();
    await b.installation.refreshWhoami();
    expect(await connections.raw.get(generationKey)).toBe(paid);
    await relay.down();
  });

  it("another tenant cannot read the run; a URI id that is not a UUID is not found", async () => {
    const [north, south] = [await connect(NORTH), await connect(SOUTH)];
    const first = structured<Page>(await call(north, { key: "staff_directory", row_limit: 2 }));
    const foreign = await call(south, { ...first.next, key: "staff_directory" });
    expect(foreign.isError).toBe(true);
    expect(textOf(foreign)).toMatch(/No stored run with this id here/);
    await expect(south.client.readResource({ uri: first.resource_uri! })).rejects.toThrow(
      /No stored report run/,
    );
    for (const id of ["a:b", "not-a-run", "%20x"]) {
      await expect(north.client.readResource({ uri: `okta://reports/runs/${id}` })).rejects.toThrow(
        /a run id is the UUID run_report returns/,
      );
    }
  });

  it("a Redis that does not answer: this call's rows are shown and paging is said to be unavailable", async () => {
    const down = await connect(NORTH, `redis://127.0.0.1:${await freePort()}`);
    sandbox.clearRequests();
    const result = await call(down, { key: "staff_directory", row_limit: 2 });
    expect(result.isError, textOf(result)).toBeFalsy();
    const page = structured<Page>(result);
    expect(sandbox.requests.filter((r) => r.tool === "run_report")).toHaveLength(1);
    expect(page.data.rows).toHaveLength(2);
    expect(page.total_rows).toBeGreaterThan(2);
    expect(page.next).toBeUndefined();
    expect(page.run_id).toBeUndefined();
    expect(page.resource_uri).toBeUndefined();
    expect(page.truncated?.hint).toMatch(/could not be stored/);
    expect(textOf(result)).toMatch(/could not be stored/);
    // Reading a stored run through it is an honest error too, and nothing is sent.
    sandbox.clearRequests();
    const paged = await call(down, { key: "staff_directory", run_id: randomUUID(), row_offset: 2 });
    expect(paged.isError).toBe(true);
    expect(textOf(paged)).toMatch(/shared store of report runs did not answer/);
    expect(sandbox.requests).toEqual([]);
    await expect(down.client.readResource({ uri: `okta://reports/runs/${randomUUID()}` })).rejects.toThrow(
      /shared store of report runs did not answer/,
    );
  });
});
