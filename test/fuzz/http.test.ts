/**
 * Fuzzing the HTTP endpoints (in-process server on loopback, real sandbox): random bytes,
 * malformed JSON, JSON that is not JSON-RPC, junk headers, sessions and paths. Every answer is a
 * 4xx (never a 5xx, never a hang, never a stack trace), and the server keeps serving real clients.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Installation } from "../../src/installation.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import type { HttpServerHandle } from "../../src/transport/http.js";
import {
  connectStreamable,
  initializeBody,
  installationFor,
  KEY_A,
  MCP_HEADERS,
  type RawResponse,
  raw,
  startServer,
} from "../e2e/http-harness.js";
import { sandboxWith } from "../helpers.js";
import { junkValue } from "./arbitraries.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const AUTH = { Authorization: `Bearer ${KEY_A}` };

function expectClientError(res: RawResponse, what: unknown) {
  const label = `${JSON.stringify(what)?.slice(0, 200)} -> ${res.status} ${res.body.slice(0, 200)}`;
  expect(res.status, label).toBeGreaterThanOrEqual(400);
  expect(res.status, label).toBeLessThan(500);
  expect(res.body, "a stack trace leaked").not.toMatch(/\bat .+:\d+:\d+/);
}

/** Printable ASCII only: anything else is refused by Node's client before it is sent. */
const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 60,
});

const notJsonRpc = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.record(
    { jsonrpc: fc.constantFrom("2.0", "1.0", 2, null), id: junkValue, method: junkValue, params: junkValue },
    { requiredKeys: [] },
  ),
  fc.array(fc.record({ jsonrpc: fc.constant("2.0"), method: fc.string(), id: fc.integer() }), {
    maxLength: 4,
  }),
  fc.constant([]),
);

for (const stateless of [false, true]) {
  describe(`fuzzing HTTP /mcp (${stateless ? "stateless" : "stateful"})`, () => {
    let sandbox: Sandbox;
    let installation: Installation;
    let handle: HttpServerHandle;
    let sessionId = "";

    beforeAll(async () => {
      sandbox = await sandboxWith({ rateLimit: { limit: 0, windowMs: 60_000 } });
      installation = await installationFor(sandbox.baseUrl, sandbox.token, "fuzz");
      handle = await startServer(
        { installation, apiKey: KEY_A },
        {
          stateless,
          limits: {
            requestsPerMinute: 1_000_000,
            requestBurst: 1_000_000,
            completionsPerMinute: 1_000_000,
            completionBurst: 1_000_000,
          },
        },
      );
      if (!stateless) {
        const init = await raw(handle, { headers: { ...MCP_HEADERS, ...AUTH }, body: initializeBody() });
        expect(init.status).toBe(200);
        sessionId = String(init.headers["mcp-session-id"]);
      }
    });
    afterAll(async () => {
      await handle?.close();
      await installation?.close();
      await sandbox?.stop();
    });

    const stillServing = async () => {
      const health = await raw(handle, { method: "GET", path: "/healthz" });
      expect(health.status).toBe(200);
    };

    it("random bytes as a body: 4xx", async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 4_096 }), async (bytes) => {
          // Bytes that happen to be a JSON-RPC message are vanishingly rare; skip them if they occur.
          fc.pre(!/^\s*[[{]/.test(Buffer.from(bytes).toString("latin1")));
          const headers = { ...MCP_HEADERS, ...AUTH, ...(sessionId ? { "Mcp-Session-Id": sessionId } : {}) };
          expectClientError(await raw(handle, { headers, body: Buffer.from(bytes) }), bytes.length);
        }),
        { numRuns: RUNS },
      );
      await stillServing();
    });

    it("malformed JSON (cut-off and corrupted messages): 4xx", async () => {
      const valid = initializeBody();
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.integer({ min: 1, max: valid.length - 1 }).map((n) => valid.slice(0, n)),
            fc
              .tuple(
                fc.integer({ min: 0, max: valid.length - 1 }),
                fc.constantFrom("{", "}", '"', ",", "\\", "\u0000", "]"),
              )
              .map(([i, c]) => valid.slice(0, i) + c + valid.slice(i + 1)),
            fc.string().map((s) => `{${s}`),
          ),
          async (body) => {
            let parses = true;
            try {
              JSON.parse(body);
            } catch {
              parses = false;
            }
            fc.pre(!parses);
            const headers = {
              ...MCP_HEADERS,
              ...AUTH,
              ...(sessionId ? { "Mcp-Session-Id": sessionId } : {}),
            };
            expectClientError(await raw(handle, { headers, body }), body);
          },
        ),
        { numRuns: RUNS },
      );
      await stillServing();
    });

    it("JSON that is not a valid JSON-RPC message: never 5xx", async () => {
      await fc.assert(
        fc.asyncProperty(notJsonRpc, fc.boolean(), async (value, withSession) => {
          const headers = {
            ...MCP_HEADERS,
            ...AUTH,
            ...(withSession && sessionId ? { "Mcp-Session-Id": sessionId } : {}),
          };
          const res = await raw(handle, { headers, body: JSON.stringify(value) });
          // A well-formed request with an unknown method is a JSON-RPC error inside a 200: fine.
          expect(
            res.status,
            `${JSON.stringify(value).slice(0, 200)} -> ${res.body.slice(0, 200)}`,
          ).toBeLessThan(500);
          expect(res.body).not.toMatch(/\bat .+:\d+:\d+/);
        }),
        { numRuns: RUNS },
      );
      await stillServing();
    });

    it("junk headers, session ids, methods and paths: 4xx", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            method: fc.constantFrom("POST", "GET", "DELETE", "PUT", "PATCH", "OPTIONS"),
            path: fc.oneof(
              fc.constantFrom(
                "/mcp",
                "/sse",
                "/messages",
                "/mcp/",
                "/MCP",
                "//mcp",
                "/mcp/../healthz",
                "/%2e%2e/mcp",
                "/messages?sessionId=../x",
              ),
              fc.webPath(),
            ),
            contentType: fc.oneof(fc.constant("application/json"), headerText),
            accept: fc.oneof(fc.constant(MCP_HEADERS.Accept), headerText),
            session: fc.oneof(fc.constant(undefined), headerText, fc.uuid()),
            authorization: fc.oneof(
              fc.constant(`Bearer ${KEY_A}`),
              headerText.map((t) => `Bearer ${t}`),
              headerText,
            ),
          }),
          async (r) => {
            // A request that is valid in every part would rightly succeed: keep at least one part wrong.
            const allValid =
              r.path === "/mcp" &&
              r.method === "POST" &&
              r.contentType === "application/json" &&
              r.accept === MCP_HEADERS.Accept &&
              r.authorization === `Bearer ${KEY_A}` &&
              (stateless || r.session === sessionId);
            // A GET with the right key may legitimately open an endless SSE stream: not junk.
            const mayStream = r.method === "GET" && r.authorization === `Bearer ${KEY_A}`;
            // The health probe (however spelled, e.g. /mcp/../healthz) rightly answers anyone.
            const probe =
              URL.canParse(r.path, "http://localhost") &&
              new URL(r.path, "http://localhost").pathname === "/healthz";
            fc.pre(!allValid && !mayStream && !probe && r.method !== "OPTIONS");
            const headers: Record<string, string> = {
              "Content-Type": r.contentType,
              Accept: r.accept,
              Authorization: r.authorization,
            };
            if (r.session !== undefined) headers["Mcp-Session-Id"] = r.session;
            const res = await raw(handle, {
              method: r.method,
              path: r.path,
              headers,
              body:
                r.method === "GET" ? undefined : JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
            });
            expectClientError(res, r);
          },
        ),
        { numRuns: RUNS },
      );
      await stillServing();
    });

    it("a real client still lists tools and calls one afterwards", async () => {
      const client = await connectStreamable(handle, KEY_A);
      try {
        const { tools } = await client.listTools();
        expect(tools.length).toBe(22);
        const result = await client.callTool({ name: "get_student", arguments: { id: 1 } });
        expect(result.isError).toBeFalsy();
      } finally {
        await client.close();
      }
    });
  });
}
