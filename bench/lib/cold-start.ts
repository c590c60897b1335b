/**
 * Cold start: from spawn to the `initialize` answer and to the first `tools/list` answer, for ours,
 * the SDK's do-nothing floor and bare `node -e ''`, interleaved round by round. Raw JSON-RPC lines
 * on the pipes, so no client library's own start-up is counted.
 */
import { spawn } from "node:child_process";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/server";
import { CLI, FLOOR, NODE, type SandboxProcess } from "./procs.js";
import { type Spread, spread } from "./stats.js";

interface Start {
  initMs: number;
  listMs: number;
}

function line(message: unknown): string {
  return `${JSON.stringify(message)}\n`;
}

/** Spawns an MCP stdio server and times initialize and tools/list; kills it afterwards. */
export function timeStdioStart(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<Start> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(NODE, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    let buffer = "";
    let stderr = "";
    let initMs = 0;
    const timer = setTimeout(() => finish(new Error(`start timed out; stderr:\n${stderr}`)), timeoutMs);
    const finish = (error?: Error, result?: Start) => {
      clearTimeout(timer);
      child.stdout.removeAllListeners("data");
      child.kill("SIGKILL");
      if (error) reject(error);
      else resolve(result!);
    };
    child.stderr.on("data", (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-5_000);
    });
    child.on("exit", (code) => {
      if (!initMs || code !== null) {
        if (buffer !== "__done__") finish(new Error(`exited ${code} during start; stderr:\n${stderr}`));
      }
    });
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl = buffer.indexOf("\n");
      while (nl !== -1) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf("\n");
        const message = JSON.parse(text) as { id?: number; error?: unknown };
        if (message.error) return finish(new Error(`error answer: ${text}`));
        if (message.id === 1) {
          initMs = performance.now() - t0;
          child.stdin.write(line({ jsonrpc: "2.0", method: "notifications/initialized" }));
          child.stdin.write(line({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} }));
        } else if (message.id === 2) {
          const listMs = performance.now() - t0;
          buffer = "__done__";
          return finish(undefined, { initMs, listMs });
        }
      }
    });
    // Sent at once: the pipe holds it until the server reads.
    child.stdin.write(
      line({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: LATEST_PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: "bench", version: "1.0.0" },
        },
      }),
    );
  });
}

function timeBareNode(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(NODE, ["-e", ""], { stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", () => resolve(performance.now() - t0));
  });
}

export interface ColdStartResult {
  bareNodeMs: Spread;
  floor: { initMs: Spread; listMs: Spread };
  ours: { initMs: Spread; listMs: Spread };
  /** Per round ours/floor, summarised. */
  ratioInit: Spread;
  ratioList: Spread;
}

export async function coldStart(sandbox: SandboxProcess, rounds: number): Promise<ColdStartResult> {
  const env = { OKTA_PARTNER_TOKEN: sandbox.token, OKTA_API_BASE_URL: sandbox.baseUrl };
  const bare: number[] = [];
  const floor = { initMs: [] as number[], listMs: [] as number[] };
  const ours = { initMs: [] as number[], listMs: [] as number[] };
  const ratioInit: number[] = [];
  const ratioList: number[] = [];
  // One unmeasured start of each warms the OS file cache.
  await timeStdioStart([FLOOR], {});
  await timeStdioStart([CLI], env);
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? ["bare", "floor", "ours"] : ["ours", "floor", "bare"];
    let f: Start | undefined;
    let o: Start | undefined;
    for (const which of order) {
      if (which === "bare") bare.push(await timeBareNode());
      if (which === "floor") f = await timeStdioStart([FLOOR], {});
      if (which === "ours") o = await timeStdioStart([CLI], env);
    }
    floor.initMs.push(f!.initMs);
    floor.listMs.push(f!.listMs);
    ours.initMs.push(o!.initMs);
    ours.listMs.push(o!.listMs);
    ratioInit.push(o!.initMs / f!.initMs);
    ratioList.push(o!.listMs / f!.listMs);
  }
  return {
    bareNodeMs: spread(bare),
    floor: { initMs: spread(floor.initMs), listMs: spread(floor.listMs) },
    ours: { initMs: spread(ours.initMs), listMs: spread(ours.listMs) },
    ratioInit: spread(ratioInit),
    ratioList: spread(ratioList),
  };
}
