/**
 * jsonRpcKindOf (guards/jsonrpc-shape.ts) replaces the SDK's zod message schemas on the hot path,
 * so it must agree with them on every value: which kind of message it is, or none. Checked here
 * against the schemas themselves over generated messages built from the parts where the rules
 * live (version, id, method, params and `_meta`, result, error, extra keys).
 */
import {
  CancelledNotificationSchema,
  JSONRPCErrorResponseSchema,
  JSONRPCNotificationSchema,
  JSONRPCRequestSchema,
  JSONRPCResultResponseSchema,
} from "@modelcontextprotocol/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cancelledRequestId, jsonRpcKindOf } from "../../src/transport/guards/jsonrpc-shape.js";

/** The SDK's answer: the kind whose strict schema accepts the value (the union tries them in order). */
function sdkKindOf(value: unknown): string | undefined {
  if (JSONRPCRequestSchema.safeParse(value).success) return "request";
  if (JSONRPCNotificationSchema.safeParse(value).success) return "notification";
  if (JSONRPCResultResponseSchema.safeParse(value).success) return "result";
  if (JSONRPCErrorResponseSchema.safeParse(value).success) return "error";
  return undefined;
}

const ABSENT = Symbol("absent");
/** Mostly a valid part, sometimes one that breaks a rule: a message off by one rule is the test. */
const mostly = (valid: fc.Arbitrary<unknown>, invalid: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: invalid });
const id = mostly(
  fc.constantFrom<unknown>(1, 0, -7, "abc", ""),
  fc.constantFrom<unknown>(ABSENT, 1.5, null, true, 2 ** 60, [1], {}),
);
const meta = mostly(
  fc.constantFrom<unknown>(
    ABSENT,
    {},
    { progressToken: 1 },
    { progressToken: "t" },
    { "io.modelcontextprotocol/related-task": { taskId: "x" } },
    { "io.modelcontextprotocol/protocolVersion": "2026-07-28", other: 1 },
  ),
  fc.constantFrom<unknown>(
    { progressToken: 1.5 },
    { progressToken: null },
    { "io.modelcontextprotocol/related-task": { taskId: 1 } },
    { "io.modelcontextprotocol/related-task": "x" },
    [],
    null,
    "m",
  ),
);
const params = mostly(
  meta.map((m) => (m === ABSENT ? { name: "x" } : { name: "x", _meta: m })),
  fc.constantFrom<unknown>(ABSENT, null, [], "p", 3),
);
const result = mostly(
  meta.map((m) => (m === ABSENT ? { content: [] } : { content: [], _meta: m })),
  fc.constantFrom<unknown>(null, [], "r"),
);
const error = mostly(
  fc.constantFrom<unknown>(
    { code: -32600, message: "bad" },
    { code: -32600, message: "bad", data: { any: 1 } },
    { code: -32600, message: "bad", extra: true },
  ),
  fc.constantFrom<unknown>({ code: 1.5, message: "bad" }, { code: -1 }, { message: "bad" }, null, "e"),
);
const jsonrpc = mostly(fc.constant("2.0"), fc.constantFrom<unknown>(ABSENT, "1.0", 2));
const method = mostly(fc.constantFrom("tools/call", ""), fc.constantFrom<unknown>(5, null));
/** Sometimes a key of another kind, or one no kind has. */
const stray = fc.constantFrom<Record<string, unknown>>(
  {},
  {},
  {},
  { extra: 1 },
  { id: 1 },
  { method: "m" },
  { result: {} },
  { error: { code: 1, message: "m" } },
  { params: {} },
);
const withoutAbsent = (parts: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== ABSENT));
const message = fc
  .oneof(
    fc.record({ jsonrpc, id, method, params, stray }),
    fc.record({ jsonrpc, method, params, stray }),
    fc.record({ jsonrpc, id, result, stray }),
    fc.record({ jsonrpc, id: mostly(id, fc.constant(ABSENT)), error, stray }),
  )
  .map(({ stray, ...parts }) => ({ ...withoutAbsent(parts), ...stray }));

describe("jsonRpcKindOf agrees with the SDK's message schemas", () => {
  it("on generated messages", () => {
    fc.assert(
      fc.property(message, (value) => {
        expect(jsonRpcKindOf(value)).toBe(sdkKindOf(value));
      }),
      { numRuns: 20_000 },
    );
  });

  it("on each kind, and on values that are no message at all", () => {
    const cases: unknown[] = [
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x" } },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { jsonrpc: "2.0", id: "a", result: {} },
      { jsonrpc: "2.0", error: { code: -32700, message: "Parse error" } },
      { jsonrpc: "2.0", id: 1, result: {}, error: { code: 1, message: "both" } },
      { jsonrpc: "2.0", id: 1, method: "m", result: {} },
      null,
      [],
      "text",
      42,
      { jsonrpc: "2.0" },
    ];
    const kinds = cases.map(jsonRpcKindOf);
    expect(kinds).toEqual(cases.map(sdkKindOf));
    expect(kinds.slice(0, 4)).toEqual(["request", "notification", "result", "error"]);
  });
});

describe("cancelledRequestId names the request the SDK aborts for a notifications/cancelled", () => {
  /** The SDK's answer: the id its cancel handler looks up, for a notification its schema accepts. */
  function sdkCancelled(value: unknown): unknown {
    if (!JSONRPCNotificationSchema.safeParse(value).success) return undefined;
    const parsed = CancelledNotificationSchema.safeParse(value);
    return parsed.success ? parsed.data.params.requestId : undefined;
  }
  const cancelParams = fc
    .record({
      requestId: mostly(
        fc.constantFrom<unknown>(7, 0, "r-1"),
        fc.constantFrom<unknown>(ABSENT, 1.5, null, [7]),
      ),
      reason: mostly(fc.constantFrom<unknown>(ABSENT, "user"), fc.constantFrom<unknown>(3, null)),
      stray: fc.constantFrom<Record<string, unknown>>({}, {}, { other: 1 }),
    })
    .map(({ stray, ...parts }) => ({ ...withoutAbsent(parts), ...stray }));
  const cancel = fc
    .record({
      jsonrpc,
      method: mostly(
        fc.constant("notifications/cancelled"),
        fc.constantFrom<unknown>("notifications/progress"),
      ),
      params: mostly(cancelParams, fc.constantFrom<unknown>(ABSENT, null, [], "p")),
      stray: fc.constantFrom<Record<string, unknown>>({}, {}, { id: 7 }),
    })
    .map(({ stray, ...parts }) => ({ ...withoutAbsent(parts), ...stray }));

  it("on generated notifications", () => {
    fc.assert(
      fc.property(cancel, (value) => {
        // What reaches it has passed the guard: a JSON-RPC message.
        fc.pre(jsonRpcKindOf(value) !== undefined);
        expect(cancelledRequestId(value)).toBe(sdkCancelled(value));
      }),
      { numRuns: 5_000 },
    );
    expect(
      cancelledRequestId({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 7 } }),
    ).toBe(7);
  });
});
