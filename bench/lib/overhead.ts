/**
 * Per-call overhead: the same reads made (a) directly with the project's API client, (b) through
 * the SDK's do-nothing floor server over stdio, (c) through ours over stdio, interleaved call by
 * call (in a shuffled order) so that noise on this shared machine lands on all three alike.
 * Our own work per call is c - b - a.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { OktaClient } from "../../src/client/client.js";
import { CLI, connectStdioServer, FLOOR, type SandboxProcess, type StdioServer } from "./procs.js";
import { type Latency, latency, median, type Spread, spread } from "./stats.js";

export const READS = {
  list_grades: { args: { per_page: 100 }, path: "/education/grades", query: { per_page: 100 } },
  get_student: { args: { id: 1 }, path: "/education/students/1", query: undefined },
} as const;
type ReadName = keyof typeof READS;

export interface OverheadResult {
  calls: number;
  rounds: number;
  tools: Record<
    ReadName,
    {
      direct: Latency;
      floor: Latency;
      ours: Latency;
      /** Per round: p50(ours) - p50(floor) - p50(direct). */
      ourWorkP50: Spread;
      /** Per round: p99(ours) - p99(floor) - p99(direct) (noisier; indicative only). */
      ourWorkP99: Spread;
      /** Per round: median of the paired per-call differences ours - floor - direct. */
      ourWorkPairedP50: Spread;
      resultBytes: number;
    }
  >;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function perCallOverhead(
  sandbox: SandboxProcess,
  options: { calls: number; rounds: number; warmup: number },
): Promise<OverheadResult> {
  const direct = new OktaClient({ baseUrl: sandbox.baseUrl, token: sandbox.token });
  const apiEnv = { OKTA_PARTNER_TOKEN: sandbox.token, OKTA_API_BASE_URL: sandbox.baseUrl };
  // Ours runs as shipped: default log level (one info line per call on stderr).
  const ours = await connectStdioServer([CLI], { ...apiEnv, LOG_LEVEL: "info" });
  let floor: StdioServer | undefined;
  try {
    // The floor answers with exactly the results ours gives, so both move the same bytes.
    const results: Record<string, CallToolResult> = {};
    for (const [name, read] of Object.entries(READS)) {
      const result = (await ours.client.callTool({ name, arguments: read.args })) as CallToolResult;
      if (result.isError) throw new Error(`${name} failed through our server: ${JSON.stringify(result)}`);
      results[name] = result;
    }
    const file = join(tmpdir(), `okta-bench-floor-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(results));
    floor = await connectStdioServer([FLOOR], { FLOOR_RESULTS_FILE: file });
    const floorClient = floor.client;

    const runners = (name: ReadName) => {
      const read = READS[name];
      return {
        direct: () => direct.request({ method: "GET", path: read.path, query: read.query }),
        floor: () => floorClient.callTool({ name, arguments: read.args }),
        ours: () => ours.client.callTool({ name, arguments: read.args }),
      };
    };

    for (const name of Object.keys(READS) as ReadName[]) {
      const r = runners(name);
      for (let i = 0; i < options.warmup; i++) {
        await r.direct();
        await r.floor();
        await r.ours();
      }
    }

    const perRound = options.calls / options.rounds;
    const out = {} as OverheadResult["tools"];
    const all = Object.fromEntries(
      Object.keys(READS).map((n) => [
        n,
        { direct: [] as number[], floor: [] as number[], ours: [] as number[] },
      ]),
    ) as Record<ReadName, { direct: number[]; floor: number[]; ours: number[] }>;
    const roundFigures = Object.fromEntries(
      Object.keys(READS).map((n) => [
        n,
        { p50: [] as number[], p99: [] as number[], paired: [] as number[] },
      ]),
    ) as Record<ReadName, { p50: number[]; p99: number[]; paired: number[] }>;

    for (let round = 0; round < options.rounds; round++) {
      const samples = Object.fromEntries(
        Object.keys(READS).map((n) => [
          n,
          { direct: [] as number[], floor: [] as number[], ours: [] as number[], paired: [] as number[] },
        ]),
      ) as Record<ReadName, { direct: number[]; floor: number[]; ours: number[]; paired: number[] }>;
      for (let i = 0; i < perRound; i++) {
        for (const name of shuffle(Object.keys(READS) as ReadName[])) {
          const r = runners(name);
          const t: Record<string, number> = {};
          for (const mode of shuffle(["direct", "floor", "ours"] as const)) t[mode] = await time(r[mode]);
          const s = samples[name];
          s.direct.push(t.direct!);
          s.floor.push(t.floor!);
          s.ours.push(t.ours!);
          s.paired.push(t.ours! - t.floor! - t.direct!);
        }
      }
      for (const name of Object.keys(READS) as ReadName[]) {
        const s = samples[name];
        const [d, f, o] = [latency(s.direct), latency(s.floor), latency(s.ours)];
        roundFigures[name].p50.push(o.p50 - f.p50 - d.p50);
        roundFigures[name].p99.push(o.p99 - f.p99 - d.p99);
        roundFigures[name].paired.push(median(s.paired));
        all[name].direct.push(...s.direct);
        all[name].floor.push(...s.floor);
        all[name].ours.push(...s.ours);
      }
    }
    for (const name of Object.keys(READS) as ReadName[]) {
      out[name] = {
        direct: latency(all[name].direct),
        floor: latency(all[name].floor),
        ours: latency(all[name].ours),
        ourWorkP50: spread(roundFigures[name].p50),
        ourWorkP99: spread(roundFigures[name].p99),
        ourWorkPairedP50: spread(roundFigures[name].paired),
        resultBytes: JSON.stringify(results[name]).length,
      };
    }
    return { calls: options.calls, rounds: options.rounds, tools: out };
  } finally {
    await floor?.close();
    await ours.close();
    await direct.close();
  }
}
