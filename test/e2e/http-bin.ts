/**
 * The built bin over HTTP as its own process, the way an operator starts it: on a free loopback
 * port, its stderr (the logs) kept, ready once it says it is serving.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { HttpServerHandle } from "../../src/transport/http.js";
import { CLI, freePort } from "../helpers.js";
import { waitFor } from "./http-harness.js";

export interface RunningBin {
  child: ChildProcess;
  stderr: () => string;
  /** Just what the test helpers read from a handle (url, mcpUrl, sseUrl, port). */
  handle: HttpServerHandle;
  /** The exit code (null when ended by a signal). */
  exit: Promise<number | null>;
}

/** The handle the connect helpers take, for anything serving MCP at `http://127.0.0.1:port`. */
export function loopbackHandle(port: number): HttpServerHandle {
  const url = `http://127.0.0.1:${port}`;
  return { url, mcpUrl: `${url}/mcp`, sseUrl: `${url}/sse`, port } as HttpServerHandle;
}

export async function startHttpBin(args: string[], env: Record<string, string>): Promise<RunningBin> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, "--transport", "http", "--port", String(port), ...args], {
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let exited = false;
  void exit.then(() => {
    exited = true;
  });
  await waitFor(() => stderr.includes("serving MCP over HTTP") || exited, 10_000, "the bin to listen");
  if (exited) throw new Error(`the bin exited at start:\n${stderr}`);
  return { child, stderr: () => stderr, handle: loopbackHandle(port), exit };
}
