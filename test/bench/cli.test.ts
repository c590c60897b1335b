/** `npm run bench` checks its flags before it starts anything: --help prints usage, a typo fails. */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const RUN = fileURLToPath(new URL("../../bench/run.ts", import.meta.url));
const bench = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", RUN, ...args], { encoding: "utf8" });

describe("bench/run.ts flags", () => {
  it("--help prints the usage and exits 0, running nothing", () => {
    const run = bench("--help");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: npm run bench/);
    expect(run.stdout).toContain("--only");
    expect(run.stderr).not.toContain("overhead");
  });

  it("an unknown flag or part is refused with the usage, exit 2", () => {
    const typo = bench("--quik");
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain('unknown argument "--quik"');
    expect(typo.stderr).toContain("Usage:");
    const part = bench("--only", "cold,nope");
    expect(part.status).toBe(2);
    expect(part.stderr).toContain('got "cold,nope"');
  });
});
