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
import { connectStreamable, installationFor, KEY_A, startServer } from "./http-harness.js";

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
