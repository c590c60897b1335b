/**
 * The HTTP server logs asynchronously (logger.ts, `sync: false`): a line must never be lost when
 * the process ends right after writing it, on a graceful shutdown (flushLogger) or a bare exit.
 * Runs the built logger in a child process whose stderr is a pipe, as under a supervisor.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const LOGGER = new URL("../dist/logger.js", import.meta.url).href;
const LINES = 3000;

function runChild(ending: string): string[] {
  const script = `
    const { createLogger, flushLogger } = await import(${JSON.stringify(LOGGER)});
    const logger = createLogger({ sync: false, level: "info" });
    const padding = "x".repeat(300);
    for (let i = 0; i < ${LINES}; i++) logger.info({ i, padding }, "line");
    ${ending}
  `;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(child.status, child.stderr.slice(-500)).toBe(0);
  return child.stderr.split("\n").filter(Boolean);
}

describe("asynchronous logging (HTTP mode)", () => {
  it("keeps every line when the process exits right after writing them", () => {
    const lines = runChild("process.exit(0);");
    expect(lines).toHaveLength(LINES);
    expect(JSON.parse(lines.at(-1)!).i).toBe(LINES - 1);
  });

  it("flushLogger writes out what is still buffered, then the process may end", () => {
    const lines = runChild("flushLogger(logger); process.exit(0);");
    expect(lines).toHaveLength(LINES);
    expect(lines.map((l) => JSON.parse(l).i)).toEqual(Array.from({ length: LINES }, (_, i) => i));
  });
});
