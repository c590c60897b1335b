/**
 * The HTTP limits that protect the platform and the server under load, end to end: the per-key
 * budget meters every request that can reach the platform, and an oversized body always gets its
 * 413 read by the client.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Installation } from "../../src/installation.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import type { HttpServerHandle } from "../../src/transport/http.js";
import { sandboxWith } from "../helpers.js";
import {
  connectStreamable,
  installationFor,
  KEY_A,
  raw,
  rpc,
  sessionHeaders,
  startServer,
} from "./http-harness.js";

let sandbox: Sandbox;
let installation: Installation;

beforeAll(async () => {
  sandbox = await sandboxWith();
  installation = await installationFor(sandbox.baseUrl, sandbox.token, "north");
});
afterAll(async () => {
  await installation?.close();
  await sandbox?.stop();
});

/**
 * POSTs `size` bytes to /mcp the way a simple client does: write the whole request, and only then
 * read the answer (the socket is paused meanwhile). If the server closes before reading the rest,
 * the client's writes meet a reset and the answer is lost: EPIPE or ECONNRESET.
 */
function postLarge(
  server: HttpServerHandle,
  size: number,
  chunked: boolean,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, "127.0.0.1");
    socket.pause();
    socket.on("error", reject);
    const head = [
      "POST /mcp HTTP/1.1",
      `Host: 127.0.0.1:${server.port}`,
      `Authorization: Bearer ${KEY_A}`,
      "Content-Type: application/json",
      "Accept: application/json, text/event-stream",
      chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${size}`,
      "",
      "",
    ].join("\r\n");
    const piece = Buffer.alloc(64 * 1024, 0x20);
    const parts: Buffer[] = [Buffer.from(head)];
    for (let left = size; left > 0; left -= piece.length) {
      const data = piece.subarray(0, Math.min(piece.length, left));
      parts.push(
        chunked
          ? Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from("\r\n")])
          : data,
      );
    }
    if (chunked) parts.push(Buffer.from("0\r\n\r\n"));
    socket.write(Buffer.concat(parts), (error) => {
      if (error) return; // reported by the "error" event
      const chunks: Buffer[] = [];
      socket.on("data", (c: Buffer) => chunks.push(c));
      socket.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
        resolve({ status, body: text.slice(text.indexOf("\r\n\r\n") + 4) });
      });
      socket.resume();
    });
  });
}

describe("an oversized body", () => {
  let server: HttpServerHandle;
  beforeAll(async () => {
    server = await startServer({ installation, apiKey: KEY_A });
  });
  afterAll(() => server?.close());

  it("always gets its 413 read, never EPIPE or ECONNRESET, sent 20 times, some at once", async () => {
    const size = 6 * 1024 * 1024;
    const outcomes: string[] = [];
    const one = (chunked: boolean) =>
      postLarge(server, size, chunked).then(
        (res) => {
          outcomes.push(String(res.status));
          expect(JSON.parse(res.body).error.message).toContain("Payload Too Large");
        },
        (error: NodeJS.ErrnoException) => void outcomes.push(error.code ?? error.message),
      );
    for (let round = 0; round < 5; round++) {
      await Promise.all([one(true), one(false), one(true), one(false)]);
    }
    expect(outcomes).toEqual(Array(20).fill("413"));
    // The server is still fine afterwards.
    const client = await connectStreamable(server, KEY_A);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  });
});

describe("the per-key budget meters every request that can reach the platform", () => {
  it("resource reads share the budget with tool calls: a 429 on a read, nothing reaches the platform", async () => {
    const server = await startServer(
      { installation, apiKey: KEY_A },
      { limits: { requestsPerMinute: 6, requestBurst: 2 } },
    );
    const client = await connectStreamable(server, KEY_A);
    try {
      await client.callTool({ name: "whoami", arguments: {} });
      await client.readResource({ uri: "okta://students/1" });
      const before = sandbox.requests.length;
      await expect(client.readResource({ uri: "okta://students/2" })).rejects.toThrow(/Too Many Requests/);
      const limited = await raw(server, {
        headers: sessionHeaders(client, KEY_A),
        body: rpc("resources/read", { uri: "okta://students/3" }, 7),
      });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(limited.json()).toMatchObject({ id: 7, error: { code: -32000 } });
      expect(limited.json().error?.message).toContain("resource reads");
      expect(sandbox.requests.length).toBe(before);
      // Served from memory, never the platform: not metered.
      expect((await client.readResource({ uri: "okta://scopes" })).contents).toHaveLength(1);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("completions have their own budget: typing cannot starve tool calls, and is bounded too", async () => {
    const server = await startServer(
      { installation, apiKey: KEY_A },
      { limits: { completionsPerMinute: 6, completionBurst: 2 } },
    );
    const client = await connectStreamable(server, KEY_A);
    const complete = (value: string) =>
      client.complete({
        ref: { type: "ref/resource", uri: "okta://students/{id}" },
        argument: { name: "id", value },
      });
    try {
      expect((await complete("E")).completion.values.length).toBeGreaterThan(0);
      await complete("Ev");
      const before = sandbox.requests.length;
      await expect(complete("Eva")).rejects.toThrow(/Too Many Requests/);
      expect(sandbox.requests.length).toBe(before);
      // Tool calls keep their own budget.
      const result = await client.callTool({ name: "list_grades", arguments: {} });
      expect(result.isError).toBeFalsy();
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("a batch is refused whole when either budget is short, and takes nothing from the other", async () => {
    const server = await startServer(
      { installation, apiKey: KEY_A },
      { limits: { requestsPerMinute: 6, requestBurst: 2, completionsPerMinute: 6, completionBurst: 2 } },
    );
    const client = await connectStreamable(server, KEY_A);
    const headers = sessionHeaders(client, KEY_A);
    const completion = (id: number) =>
      JSON.parse(
        rpc(
          "completion/complete",
          {
            ref: { type: "ref/resource", uri: "okta://students/{id}" },
            argument: { name: "id", value: "A" },
          },
          id,
        ),
      );
    const call = (id: number) => JSON.parse(rpc("tools/call", { name: "whoami", arguments: {} }, id));
    try {
      // One completion left of two; a batch asking two is refused whole, its tool call not charged.
      expect((await raw(server, { headers, body: JSON.stringify(completion(9)) })).status).toBe(200);
      const refused = await raw(server, {
        headers,
        body: JSON.stringify([call(10), completion(11), completion(12)]),
      });
      expect(refused.status).toBe(429);
      await client.callTool({ name: "whoami", arguments: {} });
      await client.callTool({ name: "whoami", arguments: {} });
      await expect(client.callTool({ name: "whoami", arguments: {} })).rejects.toThrow(/Too Many Requests/);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
