/**
 * The one registration seam: every tool is listed and called through here. It validates
 * arguments before any request, asks for confirmation where configured, injects the
 * installation, logs one line per call, and maps every failure to an `isError` result.
 * Each tool's spec (specs/) holds only its success path.
 */

import type {
  CallToolResult,
  InputRequiredResult,
  McpServer,
  RequestId,
  ServerContext,
  Tool,
} from "@modelcontextprotocol/server";
import {
  inputRequired,
  inputResponse,
  PROTOCOL_VERSION_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
} from "@modelcontextprotocol/server";
import type { z } from "zod";
import { showsViews, viewMetaOf } from "../apps/views.js";
import { ApiError, ScopeNotGrantedError } from "../client/errors.js";
import { clientCapabilitiesOf } from "../client-capabilities.js";
import { grantedEndpoints, type ToolFilterOptions } from "../grant/served.js";
import type { Installation } from "../installation.js";
import { callLogger, type Logger } from "../logger.js";
import type { Endpoint, ToolName } from "../platform/catalog.js";
import { ReportRunsUnavailableError } from "../store/report-runs.js";
import { type WriteClaim, writeFingerprint } from "../store/write-memory.js";
import { cleanText } from "../text/clean.js";
import { weakMemo } from "../weak-memo.js";
import { annotationsOf } from "./annotations.js";
import { CONFIRM_STATE_TTL_SECONDS, type ConfirmStates, type StateCheck } from "./confirm-state.js";
import {
  canElicitForm,
  confirmationPlan,
  DEFAULT_CONFIRM_TIMEOUT_MS,
  mayAsk,
  sendQuestionFor,
  writeQuestion,
} from "./confirmation.js";
import { fieldErrorsOf, InvalidArgumentsError, messageForError, NotConfirmedError } from "./errors.js";
import { writeFingerprintOf } from "./handlers.js";
import { readLeniently } from "./lenient.js";
import { DEFAULT_PAGING_DEADLINE_MS } from "./lists.js";
import { DEFAULT_MAX_RESULT_BYTES, errorResult } from "./results.js";
import { LOCAL_OPTIONS, toToolJsonSchema } from "./schemas.js";
import { specOf } from "./specs/index.js";
import type { CallArgs, HandlerContext, ToolSpec } from "./specs/spec.js";

export interface ToolOptions extends ToolFilterOptions {
  maxResultBytes?: number;
  /** One overall deadline for all_pages and a filtered listing's scan (default 30 s). */
  pagingDeadlineMs?: number;
  /** Writes that ask the human first when the client supports elicitation (send_notification always). */
  confirm?: readonly ToolName[];
  /**
   * Stateless HTTP: this server serves one request and never met the client, so nobody can be
   * asked to confirm; sends and `confirm` writes are refused (unless allowUnconfirmedSends).
   */
  sessionless?: boolean;
  /** Stateless only, chosen by the operator at start: sends go out unconfirmed (each one logged). */
  allowUnconfirmedSends?: boolean;
  /** How long the human has to answer a confirmation (default 5 minutes). */
  confirmTimeoutMs?: number;
  /**
   * Signs the state of 2026-07-28 confirmations (OKTA_MCP_REQUEST_STATE_KEY, shared by every
   * instance; a random key of this process when unset). `ttlSeconds`: how long an answer may take.
   */
  requestState?: { key: Uint8Array; ttlSeconds?: number };
}

/** What the human is asked to fill in: one yes/no. */
const CONFIRM_SCHEMA = {
  type: "object" as const,
  properties: { confirm: { type: "boolean" as const, title: "Confirm", description: "Go ahead?" } },
  required: ["confirm"],
};

/** The key of the one embedded request (and of its answer on the retry). */
const CONFIRM_KEY = "confirm";

/** The reserved `_meta` envelope of a 2026-07-28 request (typed `{}` in 2.4.0's declarations). */
function envelopeOf(request: ServerContext): Record<string, unknown> | undefined {
  return request.mcpReq.envelope as Record<string, unknown> | undefined;
}

/** A 2026-07-28 request names its protocol version in its own envelope; 2025 ones never do. */
function isModernRequest(request: ServerContext): boolean {
  return envelopeOf(request)?.[PROTOCOL_VERSION_META_KEY] !== undefined;
}

interface PreparedTool {
  endpoint: Endpoint;
  spec: ToolSpec;
  input: z.ZodObject;
  definition: Tool;
  /** The definition naming the tool's MCP Apps view, for hosts that render views (when it has one). */
  withView?: Tool;
}

/** Tool definitions depend only on the catalog: computed once per process, shared by every session. */
const prepared = new Map<string, PreparedTool>();

export function prepareTool(endpoint: Endpoint): PreparedTool {
  const known = prepared.get(endpoint.tool);
  if (known) return known;
  const spec = specOf(endpoint);
  const input = spec.input(endpoint);
  const json = toToolJsonSchema(input, "input");
  const inputJson = spec.shownInput ? spec.shownInput(json) : json;
  const tool: PreparedTool = {
    endpoint,
    spec,
    input,
    definition: {
      name: endpoint.tool,
      title: endpoint.title,
      description: endpoint.description,
      inputSchema: inputJson as Tool["inputSchema"],
      outputSchema: toToolJsonSchema(spec.output(endpoint), "output") as Tool["outputSchema"],
      annotations: annotationsOf(endpoint),
    },
  };
  if (spec.view) tool.withView = { ...tool.definition, _meta: viewMetaOf(spec.view) };
  prepared.set(endpoint.tool, tool);
  return tool;
}

/** Splits validated arguments into what goes in the path, the query and the body. */
export function splitArguments(
  endpoint: Endpoint,
  args: Record<string, unknown>,
  ownOptions: readonly string[] = [],
): CallArgs {
  const path: Record<string, unknown> = {};
  const query: CallArgs["query"] = {};
  const filters: Record<string, unknown> = {};
  const body: Record<string, unknown> = {};
  const request: Record<string, unknown> = {};
  const given: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) {
    if (value === undefined) continue;
    given[name] = value;
    if ((LOCAL_OPTIONS as readonly string[]).includes(name) || ownOptions.includes(name)) continue;
    request[name] = value;
    if (endpoint.pathParams?.shape[name]) path[name] = value;
    else if (endpoint.query?.shape[name]) query[name] = value as string | number;
    else if (endpoint.filters?.shape[name]) filters[name] = value;
    else body[name] = value;
  }
  return {
    path,
    query,
    body: endpoint.body ? body : undefined,
    filters,
    request,
    arguments: given,
    fields: args.fields as string[] | undefined,
    allPages: args.all_pages as boolean | undefined,
    maxItems: args.max_items as number | undefined,
    offset: args.offset as number | undefined,
    cursor: args.cursor as string | undefined,
    countOnly: args.count_only as boolean | undefined,
    idempotencyKey: args.idempotency_key as string | undefined,
  };
}

function validate(tool: PreparedTool, raw: unknown): CallArgs {
  // Lenient first ("22" for 22), then strict; the body check below sees the converted values.
  const parsed = tool.input.safeParse(readLeniently(tool.input, raw ?? {}), { reportInput: true });
  if (!parsed.success) {
    throw new InvalidArgumentsError(fieldErrorsOf(parsed.error, Object.keys(tool.input.shape)));
  }
  const args = splitArguments(tool.endpoint, parsed.data as Record<string, unknown>, tool.spec.localOptions);
  // A message reaches a person: what the human confirms (cleaned text) is exactly what goes out
  // (and is checked below), so nothing invisible (tag characters, zero-width spaces) reaches a guardian.
  if (tool.endpoint.kind === "send" && typeof args.body?.message === "string") {
    args.body.message = args.request.message = cleanText(args.body.message);
  }
  // The catalog's own body schema carries rules the flat input cannot (e.g. "at least one field").
  if (tool.endpoint.body && tool.spec.checksBody !== false) {
    const body = tool.endpoint.body.safeParse(args.body, { reportInput: true });
    if (!body.success) throw new InvalidArgumentsError(fieldErrorsOf(body.error));
  }
  return args;
}

/** The prepared tools of one selection (grantedEndpoints keeps each one), shared by its servers. */
const preparedSelection = weakMemo(
  (endpoints: readonly Endpoint[]): ReadonlyMap<string, PreparedTool> =>
    new Map(endpoints.map((e) => [e.tool, prepareTool(e)])),
);

export class ToolRegistry {
  #tools: ReadonlyMap<string, PreparedTool> = new Map();

  constructor(
    private readonly mcp: McpServer,
    private readonly installation: Installation,
    private readonly options: ToolOptions,
    private readonly logger: Logger,
    /** Seals the state of 2026-07-28 confirmations; its `verify` is the server's requestState hook. */
    private readonly states: ConfirmStates,
  ) {
    this.#select(installation.whoami.scopes);
    const server = mcp.server;
    // Catalog order (#select rebuilds the map from grantedEndpoints): the same in every process, and
    // a narrower grant only drops tools, so a client's cached or prompt-cached prefix stays valid.
    // A host without MCP Apps gets the definitions alone: its list is exactly as without views.
    server.setRequestHandler("tools/list", (_request, ctx) => {
      const views = showsViews(clientCapabilitiesOf(server, ctx));
      return { tools: [...this.#tools.values()].map((t) => (views && t.withView) || t.definition) };
    });
    server.setRequestHandler("tools/call", (request, ctx) => {
      const tool = this.#tools.get(request.params.name);
      if (!tool) {
        // Not granted, filtered out, or unknown: never callable, and nothing reaches the API.
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
      }
      const progressToken = request.params._meta?.progressToken;
      return this.#call(tool, request.params.arguments, ctx, {
        requestId: ctx.mcpReq.id,
        signal: ctx.mcpReq.signal,
        progress: async (progress, total, message) => {
          if (progressToken === undefined) return;
          await ctx.mcpReq.notify({
            method: "notifications/progress",
            params: { progressToken, progress, total, message },
          });
        },
      });
    });
  }

  get toolNames(): string[] {
    return [...this.#tools.keys()];
  }

  /** Re-filters after a scope change; tells the client when the list changed. Returns whether it did. */
  updateScopes(scopes: readonly string[]): boolean {
    const before = this.toolNames.join(",");
    this.#select(scopes);
    const changed = before !== this.toolNames.join(",");
    if (changed && this.mcp.isConnected()) void this.mcp.server.sendToolListChanged().catch(() => {});
    return changed;
  }

  #select(scopes: readonly string[]) {
    this.#tools = preparedSelection(grantedEndpoints(scopes, this.options));
  }

  async #call(
    tool: PreparedTool,
    raw: unknown,
    request: ServerContext,
    io: { requestId: RequestId; signal: AbortSignal; progress: HandlerContext["progress"] },
  ): Promise<CallToolResult | InputRequiredResult> {
    const started = performance.now();
    const ctx: HandlerContext = {
      installation: this.installation,
      maxResultBytes: this.options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES,
      signal: io.signal,
      progress: io.progress,
      attempts: 0,
      pagingDeadlineMs: this.options.pagingDeadlineMs ?? DEFAULT_PAGING_DEADLINE_MS,
    };
    // For the one log line per round: "ok", the platform's status, why nothing was sent, or
    // "input_required" for the first round of a 2026-07-28 confirmation (its retry logs the outcome).
    let status = "ok";
    let confirmed = false;
    try {
      const args = validate(tool, raw);
      // Most calls can never ask: they skip the step (and its await) altogether. Nor does a
      // repeat of an identical write already made: it sends nothing new, and a "no" to it could
      // not take the first one back.
      const asks = mayAsk(tool.endpoint, this.options.confirm ?? []);
      if (asks) ctx.replayOf = await this.#alreadyMade(tool.endpoint, args);
      const confirmation =
        asks && !ctx.replayOf ? await this.#confirmIfNeeded(tool.endpoint, args, request, io) : undefined;
      if (typeof confirmation === "object") {
        status = "input_required";
        return confirmation;
      }
      confirmed = confirmation === "confirmed";
      return await tool.spec.run(tool.endpoint, args, ctx);
    } catch (error) {
      if (error instanceof ApiError) {
        status = error.status === 0 ? error.code : String(error.status);
        ctx.attempts ||= error.attempts;
        // The grant changed under us (a scope withdrawn): re-read whoami so the tool list follows.
        if (error instanceof ScopeNotGrantedError) this.installation.noteScopeDenied();
      } else if (error instanceof InvalidArgumentsError) {
        status = "invalid_arguments";
      } else if (error instanceof NotConfirmedError) {
        status = error.reason;
      } else if (error instanceof ReportRunsUnavailableError) {
        // Logged by the store with what failed; the model is told, no stack needed here.
        status = "store_unavailable";
      } else {
        status = "error";
        this.logger.error({ tool: tool.endpoint.tool, err: error }, "tool failed unexpectedly");
      }
      return errorResult(messageForError(error, tool.endpoint));
    } finally {
      callLogger(this.logger).info(
        {
          tool: tool.endpoint.tool,
          installation: this.installation.name,
          status,
          ...(confirmed ? { confirmed } : {}),
          attempts: ctx.attempts,
          ms: Math.round((performance.now() - started) * 10) / 10,
        },
        "tool call",
      );
    }
  }

  /** The replay of an identical create or send that succeeded within the window (write-memory.ts), if any. */
  async #alreadyMade(endpoint: Endpoint, args: CallArgs): Promise<WriteClaim | undefined> {
    if (endpoint.kind !== "create" && endpoint.kind !== "send") return undefined;
    try {
      return await this.installation.writeMemory.succeeded(
        writeFingerprintOf(this.installation, endpoint, args),
      );
    } catch {
      return undefined; // the memory did not answer: ask, as for any first call
    }
  }

  /**
   * Asks the human before a send (or an operator-listed write) when the client can be asked.
   * 2025: an elicitation request on the tools/call request's own stream (an HTTP client may have
   * no standalone stream), for a bounded time. 2026-07-28: the first round answers
   * `input_required` with a signed state; the retry carries the answer. Resolves to the
   * `input_required` result to return, to "confirmed" on yes, or to undefined when nobody is to
   * be asked; throws NotConfirmedError otherwise (nothing is sent).
   */
  async #confirmIfNeeded(
    endpoint: Endpoint,
    args: CallArgs,
    request: ServerContext,
    io: { requestId: RequestId; signal: AbortSignal },
  ): Promise<InputRequiredResult | "confirmed" | undefined> {
    const modern = isModernRequest(request);
    // Per request first: a 2026-07-28 stdio connection has no connection-wide capabilities (a send
    // would go out unasked).
    const capabilities = clientCapabilitiesOf(this.mcp.server, request);
    const plan = confirmationPlan({
      endpoint,
      confirm: this.options.confirm ?? [],
      sessionless: this.options.sessionless ?? false,
      allowUnconfirmedSends: this.options.allowUnconfirmedSends ?? false,
      // A form is what we ask with; URL-only clients cannot show one.
      clientCanElicit: canElicitForm(capabilities),
      modern,
    });
    if (plan === "none" || plan === "host-approval") return undefined;
    if (plan === "refuse") throw new NotConfirmedError("no_session", endpoint);
    if (plan === "unconfirmed") {
      this.logger.warn(
        { tool: endpoint.tool, installation: this.installation.name },
        "sending unconfirmed: no session to ask anyone (--allow-unconfirmed-sends)",
      );
      return undefined;
    }
    if (modern) return this.#confirmByRoundTrip(endpoint, args, request, io.signal);
    const message = await this.#question(endpoint, args, io.signal);
    const timeout = this.options.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS;
    let answer: Awaited<ReturnType<typeof this.mcp.server.elicitInput>>;
    try {
      answer = await this.mcp.server.elicitInput(
        { message, requestedSchema: CONFIRM_SCHEMA },
        { relatedRequestId: io.requestId, signal: io.signal, timeout },
      );
    } catch (error) {
      if (io.signal.aborted) throw new NotConfirmedError("cancelled", endpoint);
      if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout)
        throw new NotConfirmedError("no_answer", endpoint, timeout);
      this.logger.warn({ tool: endpoint.tool, err: error }, "confirmation could not be asked");
      throw new NotConfirmedError("unavailable", endpoint);
    }
    if (answer.action !== "accept" || answer.content?.confirm !== true) {
      throw new NotConfirmedError("declined", endpoint);
    }
    return "confirmed";
  }

  /**
   * 2026-07-28: no state yet, so ask (whatever answer the call may carry: only a state this
   * server signed says a question was put). With a state: it must be valid, for this tool and
   * these exact arguments, and the answer yes.
   */
  async #confirmByRoundTrip(
    endpoint: Endpoint,
    args: CallArgs,
    request: ServerContext,
    signal: AbortSignal,
  ): Promise<InputRequiredResult | "confirmed"> {
    const digest = writeFingerprint(this.installation.id, endpoint.tool, args.arguments);
    const check = request.mcpReq.requestState<StateCheck>();
    if (check === undefined) {
      return inputRequired({
        inputRequests: {
          [CONFIRM_KEY]: inputRequired.elicit({
            message: await this.#question(endpoint, args, signal),
            requestedSchema: CONFIRM_SCHEMA,
          }),
        },
        requestState: await this.states.mint({ tool: endpoint.tool, args: digest }, request),
      });
    }
    if (!check.valid) {
      const ttlMs = (this.options.requestState?.ttlSeconds ?? CONFIRM_STATE_TTL_SECONDS) * 1000;
      throw new NotConfirmedError(`state_${check.refusal}`, endpoint, ttlMs);
    }
    if (check.state.tool !== endpoint.tool || check.state.args !== digest) {
      throw new NotConfirmedError("other_arguments", endpoint);
    }
    const answer = inputResponse(request.mcpReq.inputResponses, CONFIRM_KEY);
    if (answer.kind === "missing") throw new NotConfirmedError("no_answer", endpoint);
    if (answer.kind !== "elicit" || answer.action !== "accept" || answer.content?.confirm !== true) {
      throw new NotConfirmedError("declined", endpoint);
    }
    return "confirmed";
  }

  /** What the human reads before agreeing: nothing in it may be invisible. */
  async #question(endpoint: Endpoint, args: CallArgs, signal: AbortSignal): Promise<string> {
    const message =
      endpoint.kind === "send"
        ? await sendQuestionFor(this.installation, args.body as { to: string; message: string }, signal)
        : writeQuestion(endpoint, args.request);
    return cleanText(message);
  }
}
