/**
 * Fuzzing every tool through the real server (in-process) against the real sandbox, with random
 * and adversarial arguments. Properties, per call:
 * - the server answers (a result or a protocol error), never crashes, and keeps serving;
 * - input the tool's own full JSON Schema rejects (checked by Ajv, a second validator, not the
 *   server's Zod), after the documented conversions ("22" for 22), is refused with "nothing was
 *   sent" and no request reaches the API;
 * - a refusal sends nothing;
 * - a request that does reach the API is well-formed: the sandbox routes it to the same catalog
 *   endpoint, path ids are positive integers, report keys are keys, only known query parameters
 *   go out, and the platform never calls it malformed (400).
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import { Ajv } from "ajv";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { CATALOG, type Endpoint, ReportKey } from "../../src/platform/catalog.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { DIGIT_TEXT_FIELDS } from "../../src/tools/lenient.js";
import { prepareTool } from "../../src/tools/registry.js";
import { VALID_CALLS } from "../e2e/valid-calls.js";
import { connectInProcess, type InProcessHarness, sandboxWith, textOf } from "../helpers.js";
import { junkKey, junkValue, PATH_TRICKS, protoObject, wellTyped } from "./arbitraries.js";

const RUNS_PER_TOOL = Number(process.env.FUZZ_RUNS ?? 80);
const REFUSED = "Invalid arguments, nothing was sent";

type Props = Record<string, { type?: string; enum?: unknown[]; format?: string }>;

/** The full input schema (patterns and bounds kept), as an independent oracle. */
function fullJsonSchema(endpoint: Endpoint) {
  return z.toJSONSchema(prepareTool(endpoint).input, {
    target: "draft-7",
    io: "input",
    unrepresentable: "any",
  });
}

function argumentsFor(endpoint: Endpoint): fc.Arbitrary<Record<string, unknown>> {
  const schema = fullJsonSchema(endpoint) as { properties?: Props };
  const props = schema.properties ?? {};
  const names = Object.keys(props);
  const valid = VALID_CALLS[endpoint.tool] ?? {};
  const name = names.length > 0 ? fc.constantFrom(...names) : fc.constant("id");

  // Every property well-typed (often valid: this is what exercises the accepting path).
  const typed = fc.record(Object.fromEntries(names.map((n) => [n, wellTyped(props[n] as never, n)])), {
    requiredKeys: [],
  }) as fc.Arbitrary<Record<string, unknown>>;
  // A valid call with one or two properties replaced by junk, or removed.
  const mutated = fc
    .tuple(fc.array(fc.tuple(name, fc.option(junkValue, { nil: undefined })), { minLength: 1, maxLength: 2 }))
    .map(([changes]) => {
      const args: Record<string, unknown> = { ...valid };
      for (const [k, v] of changes) {
        if (v === undefined) delete args[k];
        else args[k] = v;
      }
      return args;
    });
  // Path tricks in every string-ish slot (ids, keys, idempotency keys).
  const tricks = fc
    .tuple(name, fc.constantFrom(...PATH_TRICKS))
    .map(([k, v]) => ({ ...valid, [k]: v }) as Record<string, unknown>);
  // Unknown keys and prototype keys beside valid ones.
  const extra = fc
    .tuple(fc.dictionary(junkKey, junkValue, { maxKeys: 3 }), protoObject)
    .map(([junk, proto]) => Object.assign(JSON.parse(JSON.stringify({ ...valid, ...junk })), proto));
  // Nothing in common with the schema at all.
  const random = fc.dictionary(fc.oneof(name, junkKey), junkValue, { maxKeys: 5 });

  return fc.oneof(
    { weight: 3, arbitrary: typed },
    { weight: 3, arbitrary: mutated },
    { weight: 2, arbitrary: tricks },
    { weight: 1, arbitrary: extra },
    { weight: 1, arbitrary: random },
  );
}

/**
 * The arguments as the server receives them. The SDK's request parsing (a Zod record) drops an own
 * `__proto__` key before any server code runs, so the oracle drops it too; the tests below still
 * check such a key never pollutes a prototype and never reaches the API.
 */
function asTheServerSeesIt(args: Record<string, unknown>): unknown {
  return JSON.parse(JSON.stringify(args), (key, value) => (key === "__proto__" ? undefined : value));
}

/**
 * The documented leniency (README "Arguments"), written again from the JSON Schema types rather
 * than the server's Zod: an integer in digits (a leading minus allowed) for an integer, "true" /
 * "false" for a boolean, a non-negative safe integer for a digits-only text field. The oracle
 * judges the arguments as they are meant.
 */
function asMeant(args: unknown, props: Props): unknown {
  if (args === null || typeof args !== "object" || Array.isArray(args)) return args;
  const out: Record<string, unknown> = { ...args };
  for (const [name, value] of Object.entries(out)) {
    const type = Object.hasOwn(props, name) ? props[name]?.type : undefined;
    if (type === "integer" && typeof value === "string" && /^-?[0-9]+$/.test(value)) {
      if (Number.isSafeInteger(Number(value))) out[name] = Number(value);
    } else if (type === "boolean" && (value === "true" || value === "false")) {
      out[name] = value === "true";
    } else if (type === "string" && DIGIT_TEXT_FIELDS.has(name) && typeof value === "number") {
      if (Number.isSafeInteger(value) && value >= 0) out[name] = String(value);
    }
  }
  return out;
}

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: false });

describe("fuzzing every tool (in-process server, real sandbox)", () => {
  let sandbox: Sandbox;
  let h: InProcessHarness;
  const stats = { refused: 0, sent: 0, apiRefused: 0, protocolErrors: 0 };

  beforeAll(async () => {
    sandbox = await sandboxWith({ rateLimit: { limit: 0, windowMs: 60_000 } });
    h = await connectInProcess(sandbox);
  });
  afterAll(async () => {
    await h?.close();
    await sandbox?.stop();
    // Visible in the test output: proof both paths were exercised.
    console.info(`tool fuzz: ${JSON.stringify(stats)}`);
  });

  for (const endpoint of CATALOG) {
    it(`${endpoint.tool}: no crash; invalid refused before the API; valid sent well-formed`, async () => {
      const full = fullJsonSchema(endpoint) as { properties?: Props };
      const validateFull = ajv.compile(full);
      await fc.assert(
        fc.asyncProperty(argumentsFor(endpoint), async (args) => {
          sandbox.clearRequests();
          let result: CallToolResult;
          try {
            result = (await h.client.callTool({ name: endpoint.tool, arguments: args })) as CallToolResult;
          } catch {
            // A protocol-level refusal is an answer too, but it must not have reached the API.
            stats.protocolErrors++;
            expect(sandbox.requests.filter((r) => r.tool !== "list_reports")).toEqual([]);
            return;
          }
          const text = textOf(result);
          const requests = sandbox.requests.filter(
            // run_report reads the report catalog (cached) to check params against it.
            (r) => !(endpoint.tool === "run_report" && r.tool === "list_reports"),
          );
          const schemaValid = validateFull(asMeant(asTheServerSeesIt(args), full.properties ?? {}));
          if (!schemaValid) {
            expect(result.isError, `accepted schema-invalid ${JSON.stringify(args).slice(0, 300)}`).toBe(
              true,
            );
          }
          if (result.isError && text.startsWith(REFUSED)) {
            stats.refused++;
            expect(requests, `refused but sent: ${text}`).toEqual([]);
            return;
          }
          if (!schemaValid) {
            throw new Error(
              `schema-invalid input was not refused up front: ${text} for ${JSON.stringify(args).slice(0, 300)}`,
            );
          }
          if (requests.length === 0) {
            // Some refusals come from the tool's own checks (e.g. report params), still before any write.
            expect(result.isError, text).toBe(true);
            return;
          }
          stats.sent++;
          for (const r of requests) {
            expect(r.tool, `${r.method} ${r.path}`).toBe(endpoint.tool);
            expect(r.method).toBe(endpoint.method);
            expect(r.status, `${r.method} ${r.path} -> ${r.status}: ${text}`).not.toBe(400);
            const rest = decodeURIComponent(r.path.replace(/^\/api\/apps/, ""));
            const template = new RegExp(`^${endpoint.path.replace(/\{(\w+)\}/g, "(?<$1>[^/]+)")}$`);
            const m = rest.match(template);
            expect(m, `${rest} does not match ${endpoint.path}`).not.toBeNull();
            if (m?.groups?.id !== undefined) expect(m.groups.id).toMatch(/^[1-9]\d{0,15}$/);
            if (m?.groups?.key !== undefined) expect(ReportKey.safeParse(m.groups.key).success).toBe(true);
            const known = Object.keys(endpoint.query?.shape ?? {});
            for (const q of Object.keys(r.query)) expect(known, `query ${q}`).toContain(q);
            if (r.status >= 400) stats.apiRefused++;
          }
        }),
        { numRuns: RUNS_PER_TOOL },
      );
    });
  }

  it("unknown and hostile tool names are refused and send nothing", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.constantFrom("__proto__", "constructor", "../whoami", "WHOAMI"),
        ),
        async (name) => {
          fc.pre(!CATALOG.some((e) => e.tool === name));
          sandbox.clearRequests();
          await expect(h.client.callTool({ name, arguments: {} })).rejects.toThrow();
          expect(sandbox.requests).toEqual([]);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("still serves normally after the fuzzing", async () => {
    const result = await h.client.callTool({ name: "get_student", arguments: { id: 1 } });
    expect(result.isError).toBeFalsy();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });
});
