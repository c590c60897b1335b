/**
 * Three instances of the built bin behind HAProxy with the shipped deploy/haproxy.cfg, sharing
 * one Redis, default limits: a busy chatbot key spread over the instances, 2025 sessions kept on
 * the instance that holds them, one record for an identical create sent through two instances,
 * a webhook taken by one instance reaching listeners on the others, once, and a report run
 * paged (and read as a resource) through whichever instance each request lands on.
 */
import { randomUUID } from "node:crypto";
import type { Client } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectModern,
  connectSse,
  connectStreamable,
  MCP_HEADERS,
  MODERN_PROTOCOL_VERSION,
  raw,
  rpc,
  sessionHeaders,
  sessionIdOf,
  terminate,
  waitFor,
} from "../e2e/http-harness.js";
import { deliver } from "../e2e/webhook-harness.js";
import { structured, textOf } from "../helpers.js";
import {
  type Cluster,
  clusterBinaries,
  SANDBOX_TOKEN,
  sessionsClosedBy,
  sessionsOpenedBy,
  startCluster,
  TENANT,
  toolCallsOf,
  waitForToolCalls,
} from "./cluster-harness.js";
import { firstEvent, listenersOn } from "./listeners.js";

// One key per test: each has its own session cap and rate budget, so tests do not share them.
const KEY_BUSY = "cluster-key-busy-0123456789abcdef";
const KEY_STICKY = "cluster-key-sticky-0123456789abcdef";
const KEY_WRITES = "cluster-key-writes-0123456789abcdef";
const KEY_EVENTS = "cluster-key-events-0123456789abcdef";
const KEY_REPORTS = "cluster-key-reports-0123456789abcdef";

const binaries = clusterBinaries();

/** A conversation's few calls: a search, a record, a list (reads: the sandbox keeps its data). */
function callsOf(n: number) {
  return [
    { name: "list_students", arguments: { search: "a", per_page: 2, fields: ["id", "full_name"] } },
    { name: "get_student", arguments: { id: 1 + (n % 50) } },
    { name: "list_grades", arguments: {} },
  ];
}

async function converse(client: Client, n: number): Promise<void> {
  for (const call of callsOf(n)) {
    const result = await client.callTool(call);
    expect(result.isError, textOf(result)).toBeFalsy();
  }
}

describe.skipIf(!binaries)("three instances behind HAProxy (deploy/haproxy.cfg as shipped)", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(binaries!, {
      keys: [KEY_BUSY, KEY_STICKY, KEY_WRITES, KEY_EVENTS, KEY_REPORTS],
    });
  }, 60_000);
  afterAll(() => cluster?.stop(), 30_000);

  it("60 conversations on one key with default limits: every call served, spread over the three", async () => {
    const { instances, balancer } = cluster;
    const before = instances.map((i) => toolCallsOf(i).length);
    const modern = Array.from({ length: 40 }, async (_, n) => {
      const client = await connectModern(balancer, KEY_BUSY);
      try {
        expect(client.getNegotiatedProtocolVersion()).toBe(MODERN_PROTOCOL_VERSION);
        await converse(client, n);
      } finally {
        await client.close();
      }
    });
    const sessions = Array.from({ length: 20 }, async (_, n) => {
      const client = await connectStreamable(balancer, KEY_BUSY);
      try {
        expect(sessionIdOf(client)).toBeTruthy();
        await converse(client, 40 + n);
        await terminate(client);
      } finally {
        await client.close();
      }
    });
    await Promise.all([...modern, ...sessions]);

    // 180 calls, each logged by the one instance that served it.
    const served = await waitForToolCalls(instances, before, 180);
    expect(served.reduce((a, b) => a + b, 0)).toBe(180);
    for (const [i, count] of served.entries()) {
      expect(count, `${instances[i]?.name} served ${served.join(" / ")}`).toBeGreaterThanOrEqual(18);
    }
  }, 60_000);

  it("2025 sessions stay on the instance that opened them: streamable and legacy SSE", async () => {
    const { instances, balancer } = cluster;
    const streamable = await Promise.all(
      Array.from({ length: 12 }, () => connectStreamable(balancer, KEY_STICKY)),
    );
    const sse = await Promise.all(Array.from({ length: 3 }, () => connectSse(balancer, KEY_STICKY)));
    const all = [...streamable, ...sse];
    // Every request of a session must reach its instance: any other one answers 404 and the call fails.
    await Promise.all(
      all.map(async (client, n) => {
        expect((await client.listTools()).tools.length).toBeGreaterThan(0);
        for (let k = 0; k < 4; k++) {
          const result = await client.callTool({
            name: "get_student",
            arguments: { id: 1 + ((n + k) % 50) },
          });
          expect(result.isError, textOf(result)).toBeFalsy();
        }
      }),
    );
    const ids = streamable.map((c) => sessionIdOf(c) as string);
    const holderOf = (id: string) => instances.filter((i) => sessionsOpenedBy(i).includes(id));
    await waitFor(() => ids.every((id) => holderOf(id).length > 0), 15_000, "every session in a log");
    for (const id of ids) expect(holderOf(id)).toHaveLength(1);
    // The sessions were spread (each initialize is balanced), so stickiness was needed.
    const holders = new Set(ids.map((id) => holderOf(id)[0]?.name));
    expect(holders.size).toBe(3);

    // Control: a session's request sent straight to another instance is refused there.
    const first = streamable[0] as Client;
    const home = holderOf(ids[0] as string)[0];
    const elsewhere = instances.find((i) => i !== home);
    const stray = await raw(elsewhere!.handle, {
      headers: sessionHeaders(first, KEY_STICKY),
      body: rpc("tools/list"),
    });
    expect(stray.status).toBe(404);

    // The DELETE that ends a session reaches its instance too.
    await Promise.all(streamable.map((c) => terminate(c)));
    for (const id of ids) {
      const home = holderOf(id)[0]!;
      await waitFor(
        () => sessionsClosedBy(home).includes(id),
        15_000,
        `session ${id} closed on its instance`,
      );
    }
    await Promise.all(all.map((c) => c.close()));
  }, 60_000);

  it("an identical create sent through two instances at once makes one record", async () => {
    const [a, b] = cluster.instances;
    const onA = await connectModern(a.handle, KEY_WRITES);
    const onB = await connectModern(b.handle, KEY_WRITES);
    try {
      const args = { full_name: `Cluster Twin ${randomUUID().slice(0, 8)}`, gender: "female" };
      const results = await Promise.all(
        [onA, onB].map((c) => c.callTool({ name: "create_student", arguments: args })),
      );
      for (const r of results) expect(r.isError, textOf(r)).toBeFalsy();
      const answers = results.map((r) => structured<{ outcome: string; data: { id: number } }>(r));
      expect(answers.map((x) => x.outcome).sort()).toEqual(["created", "replayed"]);
      expect(answers[0]?.data.id).toBe(answers[1]?.data.id);
      const made = cluster.sandbox.records<{ full_name: string }>(TENANT, "students");
      expect(made.filter((s) => s.full_name === args.full_name)).toHaveLength(1);
    } finally {
      await onA.close();
      await onB.close();
    }
  });

  it("a webhook posted to A reaches a 2026 listener on B and a 2025 subscriber on C, once; retries are duplicates", async () => {
    const [a, b, c] = cluster.instances;
    const listeners = await listenersOn(b, c, KEY_EVENTS);
    try {
      const delivery = firstEvent();
      expect((await deliver(a.handle, delivery)).status).toBe(202);
      await listeners.bothHear("okta://students/5");
      // The platform retrying the same delivery, to B and through the balancer: taken once.
      for (const target of [b.handle, cluster.balancer]) {
        const again = await deliver(target, delivery);
        expect(again.status).toBe(200);
        expect(JSON.parse(again.body)).toEqual({ status: "duplicate" });
      }
      await listeners.expectFirstHeardOnce(c.handle);
    } finally {
      await listeners.close();
    }
  });

  it("a 2026 client pages a report run through the balancer: every row once, whichever instance serves a page", async () => {
    const { instances, balancer, sandbox } = cluster;
    const client = await connectModern(balancer, KEY_REPORTS);
    try {
      const before = instances.map((i) => toolCallsOf(i, "run_report").length);
      sandbox.clearRequests();
      type Page = { data: { rows: unknown[][] }; run_id: string; total_rows: number; next?: object };
      const pages: Page[] = [];
      let args: object | undefined = { key: "guardian_contact_list", params: { grade_id: 1 }, row_limit: 10 };
      while (args) {
        const result = await client.callTool({
          name: "run_report",
          arguments: args as Record<string, unknown>,
        });
        expect(result.isError, textOf(result)).toBeFalsy();
        const page = structured<Page>(result);
        pages.push(page);
        args = page.next;
        expect(pages.length, "next never ended").toBeLessThanOrEqual(100);
      }
      // The report ran once at the platform; every later page read the one stored run.
      expect(sandbox.requests.filter((r) => r.tool === "run_report")).toHaveLength(1);
      const total = pages[0]!.total_rows;
      expect(total).toBeGreaterThan(50);
      expect(new Set(pages.map((p) => p.run_id)).size).toBe(1);
      const rows = pages.flatMap((p) => p.data.rows);
      expect(rows).toHaveLength(total);
      expect(new Set(rows.map((r) => JSON.stringify(r))).size).toBe(total);
      // The same rows, in order, as the platform's own run of the report.
      const direct = await fetch(`${sandbox.baseUrl}/reports/builder/guardian_contact_list/run`, {
        method: "POST",
        headers: { authorization: `Bearer ${SANDBOX_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ params: { grade_id: 1 } }),
      });
      expect(rows).toEqual(((await direct.json()) as { data: { rows: unknown[][] } }).data.rows);
      // Round robin spread the pages: at least two instances served some (so the run was shared).
      const served = await waitForToolCalls(instances, before, pages.length, "run_report");
      expect(served.filter((n) => n > 0).length, `pages served ${served.join(" / ")}`).toBeGreaterThanOrEqual(
        2,
      );

      // The full run as a resource, read through the balancer (any instance) three times.
      const uri = `okta://reports/runs/${pages[0]!.run_id}`;
      for (let k = 0; k < 3; k++) {
        const read = await client.readResource({ uri });
        const body = JSON.parse((read.contents[0] as { text: string }).text) as {
          result: { rows: unknown[][] };
        };
        expect(body.result.rows).toEqual(rows);
      }
    } finally {
      await client.close();
    }
  }, 60_000);

  it("the balancer answers /healthz from an instance and passes MCP errors through unchanged", async () => {
    const health = await fetch(`${cluster.balancer.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });
    const unauthenticated = await raw(cluster.balancer, { headers: MCP_HEADERS, body: rpc("tools/list") });
    expect(unauthenticated.status).toBe(401);
  });
});
