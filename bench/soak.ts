/**
 * `npm run soak [-- --writes N] [-- --seed S]`: 2,000 writes through MCP (stdio child processes and
 * in-process clients, several calls in flight on each) against the sandbox with faults on: 10% 503
 * before the write, 10% connections dropped after it, 5% 429 with Retry-After 1. Exits non-zero on
 * any duplicate or lost write. Needs `npm run build` first (the stdio clients run dist/cli.js).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, ROOT } from "./lib/procs.js";
import { runSoak } from "./lib/soak.js";

const argv = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(argv[i + 1]);
};
if (!existsSync(CLI)) {
  process.stderr.write("soak: dist/cli.js is missing; run `npm run build` first\n");
  process.exit(1);
}
const writes = flag("writes", 2_000);
const seed = flag("seed", Date.now() % 100_000);
process.stderr.write(`soak: ${writes} writes, seed ${seed}...\n`);
const report = await runSoak({
  writes,
  seed,
  stdioClients: 4,
  inProcessClients: 4,
  callsPerClient: 6,
  log: (line) => process.stderr.write(`${line}\n`),
});
const lines = [
  `# Fault soak: ${report.writes} writes, seed ${seed}`,
  "",
  `clients: ${report.clients.stdio} over stdio + ${report.clients.inProcess} in-process, ${report.clients.inFlightEach} calls in flight each; ${report.seconds.toFixed(1)} s`,
  `faults seen at the sandbox: ${JSON.stringify(report.faultsSeen)} over ${report.requests} requests`,
  "",
  "| figure | value |",
  "|---|---:|",
  `| reported success | ${report.reportedSuccess} |`,
  `| reported "may have happened" with the key to retry | ${report.reportedMaybe} (of which had applied: ${report.maybeApplied}; completed by the identical call with no key: ${report.completedByIdenticalCall}; retried with the key, ok: ${report.retriesWithKeyOk}) |`,
  `| successes re-sent identically with no key, answered "replayed" | ${report.successResendsReplayed} |`,
  `| reported failure, nothing written | ${report.reportedFailed} |`,
  `| records created (before the retries) | ${report.recordsCreated} |`,
  `| **duplicates** | **${report.duplicates}** |`,
  `| **writes lost** | **${report.lost}** |`,
];
if (report.problems.length > 0)
  lines.push("", "Problems:", ...report.problems.slice(0, 20).map((p) => `- ${p}`));
process.stdout.write(`${lines.join("\n")}\n`);
const dir = join(ROOT, "bench", "results");
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "soak-latest.json"), `${JSON.stringify({ seed, ...report }, null, 2)}\n`);
process.exit(report.duplicates === 0 && report.lost === 0 && report.problems.length === 0 ? 0 : 1);
