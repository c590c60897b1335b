/**
 * One of three instances behind HAProxy killed (kill -9) while creates are in flight on it: each
 * create, retried through the balancer with the same arguments as a client would, makes its
 * record exactly once; new conversations are served by the survivors; a 2025 session that lived
 * on the dead instance is told so (404), the others carry on.
 */
import { randomUUID } from "node:crypto";
import type { Client } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpServerHandle } from "../../src/transport/http.js";
import { connectModern, connectStreamable, sessionIdOf, waitFor } from "../e2e/http-harness.js";
import { structured, textOf } from "../helpers.js";
import {
  type Cluster,
  clusterBinaries,
  sessionsOpenedBy,
  startCluster,
  TENANT,
  waitForToolCalls,
} from "./cluster-harness.js";

const KEY = "cluster-key-loss-0123456789abcdef";
const ATTEMPTS = 5;
const binaries = clusterBinaries();

interface Created {
  outcome: string;
  data: { id: number; full_name: string };
}

/** One attempt as a 2026 client makes it: connect through the balancer, call, close. */
async function createThrough(balancer: HttpServerHandle, args: Record<string, unknown>) {
  const client = await connectModern(balancer, KEY);
  try {
    return await client.callTool({ name: "create_student", arguments: args });
  } finally {
    await client.close().catch(() => {});
  }
}

/** Repeats the same create until it is answered (bounded), noting every failed attempt. */
async function createUntilAnswered(
  balancer: HttpServerHandle,
  args: Record<string, unknown>,
  failures: string[],
): Promise<Created> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const result = await createThrough(balancer, args);
      if (!result.isError) return structured<Created>(result);
      failures.push(`${args.full_name}: ${textOf(result)}`);
    } catch (error) {
      failures.push(`${args.full_name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`${args.full_name} not answered in ${ATTEMPTS} attempts:\n${failures.join("\n")}`);
}

describe.skipIf(!binaries)("an instance killed with kill -9 behind HAProxy", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(binaries!, { keys: [KEY] });
  }, 60_000);
  afterAll(() => cluster?.stop(), 30_000);

  it("30 creates in flight, one instance killed, each retried through the balancer: every record once; the others serve on", async () => {
    const { sandbox, instances, balancer } = cluster;
    const victim = instances[1];
    const survivors = instances.filter((i) => i !== victim);

    // Three 2025 conversations opened one after another: one on each instance.
    const sessions: Client[] = [];
    for (let n = 0; n < 3; n++) sessions.push(await connectStreamable(balancer, KEY));
    const opened = () => instances.flatMap(sessionsOpenedBy);
    await waitFor(
      () => sessions.every((c) => opened().includes(sessionIdOf(c) as string)),
      15_000,
      "the sessions",
    );
    const onVictim = sessions.filter((c) => sessionsOpenedBy(victim).includes(sessionIdOf(c) as string));
    expect(onVictim).toHaveLength(1);

    // The platform answers these creates slowly, so they are in flight when the instance dies.
    const run = randomUUID().slice(0, 8);
    const names = Array.from({ length: 30 }, (_, n) => `Crash ${run} ${n}`);
    sandbox.injectFaults(
      ...names.map(() => ({
        kind: "delay" as const,
        match: { method: "POST", tool: "create_student" },
        delayMs: 1500,
      })),
    );
    const failures: string[] = [];
    const creates = names.map((full_name) => createUntilAnswered(balancer, { full_name }, failures));
    await waitFor(
      () => sandbox.requests.some((r) => r.tool === "create_student"),
      15_000,
      "the platform to answer a first create",
    );
    await victim.kill9();
    const created = await Promise.all(creates);

    // The kill cut calls short (the test is about something), and no record was doubled or lost.
    expect(failures.length, "no call was in flight on the killed instance").toBeGreaterThan(0);
    const students = sandbox.records<{ full_name: string }>(TENANT, "students");
    for (const [n, name] of names.entries()) {
      expect(
        students.filter((s) => s.full_name === name),
        name,
      ).toHaveLength(1);
      expect(created[n]?.data.full_name).toBe(name);
      expect(["created", "replayed", "completed"]).toContain(created[n]?.outcome);
    }

    // The 2025 session that lived on the dead instance is told it is gone; the others carry on.
    const lost = onVictim[0] as Client;
    await expect(lost.callTool({ name: "whoami", arguments: {} })).rejects.toThrow(/404|session not found/i);
    for (const client of sessions.filter((c) => c !== lost)) {
      const result = await client.callTool({ name: "whoami", arguments: {} });
      expect(result.isError, textOf(result)).toBeFalsy();
    }

    // New conversations, both eras, through the balancer: all served, by the survivors (nothing
    // else in this test calls list_grades).
    const fresh = await Promise.all([
      ...Array.from({ length: 6 }, () => connectModern(balancer, KEY)),
      ...Array.from({ length: 3 }, () => connectStreamable(balancer, KEY)),
    ]);
    for (const client of fresh) {
      const result = await client.callTool({ name: "list_grades", arguments: {} });
      expect(result.isError, textOf(result)).toBeFalsy();
    }
    const served = await waitForToolCalls(survivors, [0, 0], fresh.length, "list_grades");
    expect(served.reduce((a, b) => a + b, 0)).toBe(fresh.length);
    await Promise.all([...fresh, ...sessions].map((c) => c.close()));
  }, 100_000);
});
