/**
 * The HTTP server logs asynchronously (logger.ts, `sync: false`): a line must never be lost when
 * the process ends right after writing it, on a graceful shutdown (flushLogger) or a bare exit.
 * Runs the built logger in a child process whose stderr is a pipe, as under a supervisor.
 */
import { spawn, spawnSync } from "node:child_process";
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

  it("writes a lone line while the process runs on (gathered writes are flushed on a tick)", async () => {
    // One short line is far below the gathering threshold: only the flush tick writes it before
    // the child says "later" on stdout, seconds after it logged (and long before it would exit).
    const script = `
      const { createLogger } = await import(${JSON.stringify(LOGGER)});
      createLogger({ sync: false, level: "info" }).info("alone");
      setTimeout(() => process.stdout.write("later\\n"), 2_000);
      setTimeout(() => {}, 20_000);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const first = await new Promise<string>((resolve, reject) => {
        let text = "";
        child.stderr.on("data", (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes("\n")) resolve(text);
        });
        child.stdout.once("data", () => resolve("stdout first"));
        child.once("exit", () => reject(new Error(`exited first; wrote: ${text}`)));
      });
      expect(first).not.toBe("stdout first");
      expect(JSON.parse(first).msg).toBe("alone");
    } finally {
      child.kill();
    }
  });
});
