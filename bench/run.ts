/**
 * `npm run bench [-- --quick] [-- --only overhead,load,cold,memory,paging,context] [-- --baseline DIR]`
 *
 * Every figure is a median over repeated runs with its spread, measured side by side in one run on
 * this machine: a shared, noisy 2-core box, so ratios and medians mean more than any single time.
 * Prints a table and writes bench/results/latest.json (gitignored). Loopback only; every loop is
 * bounded in count and time. Needs `npm run build` first (the servers run as shipped, on dist/).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { type ColdStartResult, coldStart } from "./lib/cold-start.js";
import { type ContextCost, contextCost, contextCostTable } from "./lib/context.js";
import { directLoad, type LoadRun, mcpLoad, whyNotModern } from "./lib/http-load.js";
import { type MemoryResult, memory } from "./lib/memory.js";
import { type OverheadResult, perCallOverhead } from "./lib/overhead.js";
import { type PagingResult, paging } from "./lib/paging.js";
import { type BenchServer, CLI, ROOT, startBenchHttpServer, startSandboxProcess } from "./lib/procs.js";
import { fmt, fmtSpread, type Spread, spread } from "./lib/stats.js";

const PARTS = ["overhead", "load", "cold", "memory", "paging", "context"];
const USAGE = `Usage: npm run bench [-- --quick] [-- --only PART,...] [-- --baseline DIR]

  --quick         fewer rounds and shorter loads
  --only PARTS    run only these, comma-separated: ${PARTS.join(", ")}
  --baseline DIR  the HTTP load also runs ours as built in another checkout (DIR/dist, e.g. a
                  worktree of the previous commit), side by side: before and after in one run
  --help        print this and exit

Needs \`npm run build\` first; writes bench/results/latest.json. BENCH_LOG_LEVEL=warn runs the
HTTP servers without the per-call info line (an A/B of its cost; the default is as shipped).`;

/** The flags, checked before anything starts: a typo must not cost a two-minute run. */
function parseArgs(argv: readonly string[]): { quick: boolean; only?: Set<string>; baseline?: string } {
  let quick = false;
  let only: Set<string> | undefined;
  let baseline: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (arg === "--quick") quick = true;
    else if (arg === "--only" || arg.startsWith("--only=")) {
      const value = arg.includes("=") ? arg.slice("--only=".length) : argv[++i];
      const parts = (value ?? "").split(",").filter(Boolean);
      const unknown = parts.filter((p) => !PARTS.includes(p));
      if (parts.length === 0 || unknown.length > 0)
        fail(`--only takes ${PARTS.join(", ")}; got "${value ?? ""}"`);
      only = new Set(parts);
    } else if (arg === "--baseline" || arg.startsWith("--baseline=")) {
      const dir = arg.includes("=") ? arg.slice("--baseline=".length) : argv[++i];
      if (!dir || !existsSync(join(dir, "dist", "transport", "http.js")))
        fail(`--baseline takes a checkout with a built dist/; got "${dir ?? ""}"`);
      baseline = resolve(dir);
    } else fail(`unknown argument "${arg}"`);
  }
  return { quick, ...(only ? { only } : {}), ...(baseline ? { baseline } : {}) };
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

const { quick, only, baseline } = parseArgs(process.argv.slice(2));
const wants = (part: string) => !only || only.has(part);

const plan = quick
  ? {
      calls: 300,
      callRounds: 3,
      warmup: 30,
      loadSeconds: 2,
      loadRounds: 1,
      coldRounds: 5,
      memRounds: 1,
      sessions: 1000,
      pagingRounds: 2,
      apiLatencyMs: 25,
    }
  : {
      calls: 1000,
      callRounds: 5,
      warmup: 100,
      loadSeconds: 4,
      loadRounds: 3,
      coldRounds: 15,
      memRounds: 2,
      sessions: 1000,
      pagingRounds: 5,
      apiLatencyMs: 25,
    };

if (!existsSync(CLI)) {
  process.stderr.write("bench: dist/cli.js is missing; run `npm run build` first\n");
  process.exit(1);
}

const log = (text: string) => process.stderr.write(`${text}\n`);

const LOAD_MODES = [
  "direct",
  "floor-v1-stateful",
  "floor-stateful",
  "stateful",
  "floor-v1-stateless",
  "floor-stateless",
  "stateless",
  "floor-modern",
  "modern",
  "baseline-stateful",
  "baseline-stateless",
  "baseline-modern",
] as const;
type LoadMode = (typeof LOAD_MODES)[number];
/** The server each mode runs: ours, or an SDK floor that makes the same upstream read. */
const SERVER_OF: Record<Exclude<LoadMode, "direct">, BenchServer> = {
  "floor-v1-stateful": { kind: "floor", sdk: "v1", era: "legacy", stateless: false },
  "floor-stateful": { kind: "floor", sdk: "v2", era: "legacy", stateless: false },
  stateful: { kind: "ours", stateless: false },
  "floor-v1-stateless": { kind: "floor", sdk: "v1", era: "legacy", stateless: true },
  "floor-stateless": { kind: "floor", sdk: "v2", era: "legacy", stateless: true },
  stateless: { kind: "ours", stateless: true },
  "floor-modern": { kind: "floor", sdk: "v2", era: "modern" },
  modern: { kind: "ours", stateless: false },
  "baseline-stateful": { kind: "ours", stateless: false, checkout: baseline },
  "baseline-stateless": { kind: "ours", stateless: true, checkout: baseline },
  "baseline-modern": { kind: "ours", stateless: false, checkout: baseline },
};
/** Ours compared with the SDK's floors for the same path, v2 then v1 (v1 has no 2026 path). */
const VS_FLOOR = {
  stateful: { v2: "floor-stateful", v1: "floor-v1-stateful" },
  stateless: { v2: "floor-stateless", v1: "floor-v1-stateless" },
  modern: { v2: "floor-modern" },
  "baseline-stateful": { v2: "floor-stateful", v1: "floor-v1-stateful" },
  "baseline-stateless": { v2: "floor-stateless", v1: "floor-v1-stateless" },
  "baseline-modern": { v2: "floor-modern" },
} as const satisfies Partial<Record<LoadMode, { v2: LoadMode; v1?: LoadMode }>>;

interface LoadFigure {
  mode: LoadMode;
  clients: number;
  callsPerSecond: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  /** The server process's CPU time per call served (absent for the direct load). */
  cpuUsPerCall?: Spread;
  errors: number;
  calls: number;
  firstError?: string;
}

interface LoadResult {
  seconds: number;
  rounds: number;
  runs: LoadFigure[];
  ratios: Record<string, Spread>;
  /** Why our 2026-07-28 path was not measured (the server does not serve that era yet). */
  modernSkipped?: string;
  /** Latency the sandbox adds to every answer during the load runs. */
  apiLatencyMs: number;
}

const results: {
  when: string;
  machine: Record<string, unknown>;
  plan: typeof plan;
  overhead?: OverheadResult;
  load?: LoadResult;
  /** The same with the API answering at once: the server process is the limit. */
  serverBoundLoad?: LoadResult;
  coldStart?: ColdStartResult;
  memory?: MemoryResult;
  paging?: PagingResult;
  context?: ContextCost;
} = {
  when: new Date().toISOString(),
  machine: {
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memGiB: Math.round(totalmem() / 2 ** 30),
    platform: process.platform,
  },
  plan,
};

async function loadRuns(
  api: { baseUrl: string; token: string },
  apiLatencyMs: number,
  clientCounts: readonly number[],
): Promise<LoadResult> {
  const runs: LoadFigure[] = [];
  const ratios: Record<string, number[]> = {};
  // Our 2026 path is measured only once the server answers 2026 requests; the floor always is.
  const probe = await startBenchHttpServer(api, SERVER_OF.modern);
  const modernSkipped = await whyNotModern(probe).finally(() => probe.stop());
  if (modernSkipped) log(`HTTP load: our 2026-07-28 path is skipped: ${modernSkipped}`);
  const modes = LOAD_MODES.filter(
    (m) =>
      (m !== "modern" || !modernSkipped) &&
      (!m.startsWith("baseline") || (baseline !== undefined && (m !== "baseline-modern" || !modernSkipped))),
  );
  const addRatio = (key: string, value: number) => {
    ratios[key] = [...(ratios[key] ?? []), value];
  };
  for (const clients of clientCounts) {
    const perMode = Object.fromEntries(modes.map((m) => [m, [] as LoadRun[]])) as Partial<
      Record<LoadMode, LoadRun[]>
    >;
    const runsOf = (mode: LoadMode) => perMode[mode] ?? [];
    for (let round = 0; round < plan.loadRounds; round++) {
      for (const mode of modes) {
        log(
          `HTTP load: ${mode}, ${clients} clients, ${plan.loadSeconds} s (round ${round + 1}/${plan.loadRounds})...`,
        );
        if (mode === "direct") {
          runsOf(mode).push(await directLoad(api, clients, plan.loadSeconds));
          continue;
        }
        const era = mode.endsWith("modern") ? "modern" : "legacy";
        const server = await startBenchHttpServer(api, SERVER_OF[mode]);
        try {
          runsOf(mode).push(await mcpLoad(server, clients, plan.loadSeconds, era));
        } finally {
          await server.stop();
        }
      }
      const d = runsOf("direct")[round]!.callsPerSecond;
      for (const mode of modes.slice(1)) {
        addRatio(`${mode}/${clients}`, runsOf(mode)[round]!.callsPerSecond / d);
      }
      for (const [mode, floors] of Object.entries(VS_FLOOR) as [LoadMode, Record<string, LoadMode>][]) {
        if (!modes.includes(mode)) continue;
        for (const [sdk, floor] of Object.entries(floors)) {
          const ours = runsOf(mode)[round]!;
          const theirs = runsOf(floor)[round]!;
          addRatio(`${mode}-vs-${sdk}/${clients}`, ours.callsPerSecond / theirs.callsPerSecond);
          if (ours.cpuUsPerCall !== undefined && theirs.cpuUsPerCall !== undefined)
            addRatio(`${mode}-cpu-vs-${sdk}/${clients}`, ours.cpuUsPerCall / theirs.cpuUsPerCall);
        }
      }
    }
    for (const [mode, list] of Object.entries(perMode)) {
      runs.push({
        mode: mode as LoadMode,
        clients,
        callsPerSecond: spread(list.map((r) => r.callsPerSecond)),
        p50Ms: spread(list.map((r) => r.latencyMs.p50)),
        p99Ms: spread(list.map((r) => r.latencyMs.p99)),
        ...(list.every((r) => r.cpuUsPerCall !== undefined)
          ? { cpuUsPerCall: spread(list.map((r) => r.cpuUsPerCall!)) }
          : {}),
        errors: list.reduce((s, r) => s + r.errors, 0),
        calls: list.reduce((s, r) => s + r.calls, 0),
        firstError: list.find((r) => r.firstError)?.firstError,
      });
    }
  }
  return {
    seconds: plan.loadSeconds,
    rounds: plan.loadRounds,
    apiLatencyMs,
    runs,
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, spread(v)])),
    ...(modernSkipped ? { modernSkipped } : {}),
  };
}

const started = performance.now();
const sandbox = await startSandboxProcess();
try {
  if (wants("overhead")) {
    log(`per-call overhead: ${plan.calls} calls x 2 reads x 3 paths...`);
    results.overhead = await perCallOverhead(sandbox, {
      calls: plan.calls,
      rounds: plan.callRounds,
      warmup: plan.warmup,
    });
  }
  if (wants("load")) {
    // The load runs read from a sandbox answering in ~25 ms, as a real API does: a server that
    // waits well while a read is upstream is what a chatbot backend needs.
    const slowApi = await startSandboxProcess(["--latency", String(plan.apiLatencyMs)]);
    try {
      results.load = await loadRuns(slowApi, plan.apiLatencyMs, [50, 200]);
    } finally {
      await slowApi.stop();
    }
    // And with the API answering at once: then no wait upstream and no pool of 64 connections
    // bounds the calls, only the server's own work (shared cores with the sandbox and the load).
    const fastApi = await startSandboxProcess(["--latency", "0"]);
    try {
      results.serverBoundLoad = await loadRuns(fastApi, 0, [50]);
    } finally {
      await fastApi.stop();
    }
  }
  if (wants("cold")) {
    log(`cold start: ${plan.coldRounds} rounds...`);
    results.coldStart = await coldStart(sandbox, plan.coldRounds);
  }
  if (wants("memory")) {
    log(`memory: idle RSS and ${plan.sessions} HTTP sessions...`);
    results.memory = await memory(sandbox, { rounds: plan.memRounds, sessions: plan.sessions });
  }
  if (wants("paging")) {
    log("paging: all students...");
    results.paging = await paging(sandbox, plan.pagingRounds);
  }
  if (wants("context")) {
    log("context cost...");
    results.context = await contextCost();
  }
} finally {
  await sandbox.stop();
}
const totalSeconds = (performance.now() - started) / 1000;

// ---- report ----
const out: string[] = [];
const ms = (v: number) => fmt(v, " ms");
out.push(
  `# Benchmarks${quick ? " (--quick)" : ""}`,
  "",
  `${results.when} · Node ${process.version} · ${cpus().length} x ${cpus()[0]?.model ?? "cpu"} · ${results.machine.memGiB} GiB · ${fmt(totalSeconds, " s")} total`,
  "",
);
const o = results.overhead;
if (o) {
  out.push(
    `## Per-call overhead (${o.calls} calls per path and read, interleaved, ${o.rounds} rounds)`,
    "",
    "| read | (a) direct p50 / p99 | (b) SDK floor p50 / p99 | (c) ours p50 / p99 | our work c-b-a p50, median of rounds (IQR) | paired c-b-a p50 |",
    "|---|---|---|---|---|---|",
  );
  for (const [name, t] of Object.entries(o.tools)) {
    out.push(
      `| ${name} (${t.resultBytes} B result) | ${ms(t.direct.p50)} / ${ms(t.direct.p99)} | ${ms(t.floor.p50)} / ${ms(t.floor.p99)} | ${ms(t.ours.p50)} / ${ms(t.ours.p99)} | **${fmtSpread(t.ourWorkP50, " ms")}** | ${fmtSpread(t.ourWorkPairedP50, " ms")} |`,
    );
  }
  out.push(
    "",
    "Target: our work < 0.25 ms at p50. (No c-b-a at p99: tails of three separate paths do not subtract.)",
    "",
  );
}
/** One HTTP load table: every path side by side with its floors. */
function renderLoad(l: LoadResult, answering: string): void {
  out.push(
    `## HTTP load (get_student in a loop, ${answering}, ${l.seconds} s per run, ${l.rounds} round(s), medians)`,
    "",
    "| path | clients | calls/s (IQR) | p50 | p99 | errors / calls | vs direct | vs v2 floor | vs v1 floor | server CPU per call | CPU vs v2 floor |",
    "|---|---:|---|---|---|---|---|---|---|---:|---:|",
  );
  const label: Record<LoadMode, string> = {
    direct: "direct to the sandbox (GET)",
    "floor-v1-stateful": "v1 SDK floor, 2025, stateful (the same GET upstream)",
    "floor-stateful": "v2 SDK floor, 2025, stateful (the same GET upstream)",
    stateful: "**ours**, 2025, stateful",
    "floor-v1-stateless": "v1 SDK floor, 2025, stateless (the same GET upstream)",
    "floor-stateless": "v2 SDK floor, 2025, stateless (the same GET upstream)",
    stateless: "**ours**, 2025, stateless",
    "floor-modern": "v2 SDK floor, 2026-07-28 (`createMcpHandler`, the same GET upstream)",
    modern: "**ours**, 2026-07-28 (no session)",
    "baseline-stateful": "ours before (--baseline), 2025, stateful",
    "baseline-stateless": "ours before (--baseline), 2025, stateless",
    "baseline-modern": "ours before (--baseline), 2026-07-28",
  };
  for (const r of l.runs) {
    const ratio = r.mode === "direct" ? "" : fmt(l.ratios[`${r.mode}/${r.clients}`]!.median, "x");
    const vs = (sdk: string) => {
      const q = l.ratios[`${r.mode}-vs-${sdk}/${r.clients}`];
      return q ? `**${fmt(q.median, "x")}**` : "";
    };
    const cpu = r.cpuUsPerCall ? fmt(r.cpuUsPerCall.median, " µs") : "";
    const cpuRatio = l.ratios[`${r.mode}-cpu-vs-v2/${r.clients}`];
    out.push(
      `| ${label[r.mode]} | ${r.clients} | ${fmt(r.callsPerSecond.median)} (${fmt(r.callsPerSecond.iqr)}) | ${ms(r.p50Ms.median)} | ${ms(r.p99Ms.median)} | ${r.errors} / ${r.calls} | ${ratio} | ${vs("v2")} | ${vs("v1")} | ${cpu} | ${cpuRatio ? fmt(cpuRatio.median, "x") : ""} |`,
    );
  }
  if (l.modernSkipped)
    out.push(
      "",
      `Ours on 2026-07-28: not measured, the server does not serve that era yet (${l.modernSkipped}).`,
    );
  const firstError = l.runs.find((r) => r.firstError);
  if (firstError)
    out.push("", `First error (${firstError.mode}/${firstError.clients}): ${firstError.firstError}`);
  out.push(
    "",
    "Target: at or above each SDK floor (>= 1.0x), no errors. Server CPU per call: the server process's user + system time over the run divided by the calls it served (it does not move with the machine's load as throughput does); CPU vs v2 floor below 1.0x is less work per call than the floor.",
    "",
  );
}
if (results.load) renderLoad(results.load, `the API answering in ${results.load.apiLatencyMs} ms`);
if (results.serverBoundLoad)
  renderLoad(results.serverBoundLoad, "the API answering at once, so the server process is the limit");
const c = results.coldStart;
if (c) {
  out.push(
    `## Cold start (spawn to answer, ${c.ratioInit.rounds} rounds, median (IQR))`,
    "",
    "| process | to initialize answer | to first tools/list answer |",
    "|---|---|---|",
    `| bare \`node -e ''\` (to exit) | ${fmtSpread(c.bareNodeMs, " ms")} | |`,
    `| SDK floor server | ${fmtSpread(c.floor.initMs, " ms")} | ${fmtSpread(c.floor.listMs, " ms")} |`,
    `| ours (\`node dist/cli.js\`, incl. GET /whoami) | ${fmtSpread(c.ours.initMs, " ms")} | ${fmtSpread(c.ours.listMs, " ms")} |`,
    `| ours / floor | **${fmtSpread(c.ratioInit, "x")}** | **${fmtSpread(c.ratioList, "x")}** |`,
    "",
    "Target: within 1.25x of the floor.",
    "",
  );
}
const m = results.memory;
if (m) {
  out.push(
    "## Memory (RSS)",
    "",
    `- idle over stdio after one call: ours ${fmtSpread(m.idleRssMiB.ours, " MiB")}, SDK floor ${fmtSpread(m.idleRssMiB.floor, " MiB")}`,
    `- Streamable HTTP, ${m.sessions.count} sessions open: ${fmt(m.sessions.baseRssMiB.median, " MiB")} -> ${fmt(m.sessions.withSessionsRssMiB.median, " MiB")}, **${fmtSpread(m.sessions.perSessionKiB, " KiB")} per session**`,
    "",
  );
}
const p = results.paging;
if (p) {
  out.push(
    `## Paging (${p.students} students, per_page ${p.perPage}, ${p.pages} pages)`,
    "",
    `- one \`all_pages\` call: ${fmtSpread(p.allPagesMs, " ms")} (result ${Math.round(p.allPagesResultBytes / 1024)} KiB)`,
    `- page by page through MCP (${p.pages} calls following \`next\`): ${fmtSpread(p.pageByPageMs, " ms")}`,
    `- the same ${p.pages} pages directly with the API client: ${fmtSpread(p.directMs, " ms")}`,
    "",
  );
}
if (results.context) out.push("## Context cost", "", contextCostTable(results.context), "");

const report = out.join("\n");
process.stdout.write(`${report}\n`);
const dir = join(ROOT, "bench", "results");
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "latest.json"), `${JSON.stringify({ ...results, totalSeconds }, null, 2)}\n`);
writeFileSync(join(dir, "latest.md"), `${report}\n`);
log(`wrote bench/results/latest.json and latest.md (${fmt(totalSeconds, " s")})`);
