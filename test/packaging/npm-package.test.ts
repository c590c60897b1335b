/**
 * The published package as a user gets it: `npm pack`, installed from the tarball into an empty
 * folder, its bin run by path and spoken to over stdio. Packs the current dist/ (`npm test`
 * builds first) rather than rebuilding under other suites that are running it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOOL_NAMES } from "../../src/platform/catalog.js";
import { pkg, ROOT } from "./helpers.js";

const DEV_ONLY = [/^src\//, /^test\//, /^\.ci\//, /^bench\//, /^scripts\//, /^examples\//, /^docs\//];
const NEVER = [/\.map$/, /^tsconfig/, /^\.env/, /\.tgz$/, /^node_modules\//, /^mcpb\//, /^server\.json$/];

describe("npm package", { timeout: 180_000 }, () => {
  let work: string;
  let files: string[];
  let bin: string;

  beforeAll(() => {
    if (!existsSync(join(ROOT, "dist/cli.js")))
      throw new Error("dist/cli.js is missing: npm run build first");
    work = mkdtempSync(join(tmpdir(), "okta-pack-"));
    const [info] = JSON.parse(
      execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], {
        cwd: ROOT,
        encoding: "utf8",
      }),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = info!.files.map((f) => f.path);
    const app = join(work, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", join(work, info!.filename)], {
      cwd: app,
      stdio: ["ignore", "ignore", "pipe"],
    });
    bin = join(app, "node_modules/.bin/okta-partners-mcp");
  }, 180_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("ships the build, the docs a user needs and nothing of development", () => {
    expect(files).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE", "dist/cli.js"]));
    const unwanted = files.filter((f) => [...DEV_ONLY, ...NEVER].some((pattern) => pattern.test(f)));
    expect(unwanted).toEqual([]);
  });

  it("has every file that bin, exports and types name", () => {
    const targets = [
      ...Object.values(pkg.bin),
      pkg.types,
      ...Object.values(pkg.exports).flatMap((e) => (typeof e === "string" ? [e] : Object.values(e))),
    ].map((p) => p.replace(/^\.\//, ""));
    expect(targets.filter((t) => !files.includes(t))).toEqual([]);
  });

  it("declares the engines it is tested on: Node 20.19+, 22.12+ and 24, the Node running this", () => {
    const parts = (version: string) => version.split(".").map(Number);
    const atLeast = (v: number[], floor: number[]) => {
      const i = v.findIndex((n, k) => n !== floor[k]);
      return i === -1 || (v[i] ?? 0) > (floor[i] ?? 0);
    };
    // Each part of the range is `^X.Y.Z` (that major line from X.Y.Z) or `>=X.Y.Z`.
    const admits = (version: string) =>
      pkg.engines.node.split("||").some((part: string) => {
        const [, op, floor] = /^\s*(\^|>=)(\d+\.\d+\.\d+)\s*$/.exec(part) ?? [];
        if (!floor) throw new Error(`engines.node part not understood: "${part}"`);
        const [v, f] = [parts(version), parts(floor)];
        return atLeast(v, f) && (op === ">=" || v[0] === f[0]);
      });
    for (const version of ["20.19.0", "22.12.0", "24.0.0", "24.22.3", process.versions.node]) {
      expect(admits(version), version).toBe(true);
    }
    // Below vite/vitest's floor the suite cannot run, so nothing there is tested.
    for (const version of ["20.18.1", "21.7.3", "22.11.0"]) expect(admits(version), version).toBe(false);
  });

  it("runs its bin by path: a shebang and an executable file", () => {
    expect(readFileSync(join(ROOT, "dist/cli.js"), "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(execFileSync(bin, ["--version"], { encoding: "utf8" }).trim()).toBe(pkg.version);
  });

  it("serves every tool over stdio on the embedded sandbox", async () => {
    const transport = new StdioClientTransport({
      command: bin,
      args: ["--sandbox"],
      env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn" },
      stderr: "pipe",
    });
    const client = new Client({ name: "packaging-test", version: "1.0.0" });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(22);
      expect(tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
    } finally {
      await client.close();
    }
  });
});
