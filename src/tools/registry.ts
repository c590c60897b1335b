/**
 * The one registration seam: every tool is listed and called through here. It validates
 * arguments before any request, asks for confirmation where configured, injects the
 * installation, logs one line per call, and maps every failure to an `isError` result.
 * Handlers (handlers.ts) hold only the success path.
 */

import type { CallToolResult, McpServer, RequestId, Tool } from "@modelcontextprotocol/server";
import { ProtocolError, ProtocolErrorCode, SdkError, SdkErrorCode } from "@modelcontextprotocol/server";
import type { z } from "zod";
import { ApiError, ScopeNotGrantedError } from "../client/errors.js";
import { grantedEndpoints, type ToolFilterOptions } from "../grant/served.js";
import type { Installation } from "../installation.js";
import type { Logger } from "../logger.js";
import type { Endpoint, ToolName } from "../platform/catalog.js";
import { cleanText } from "../text/clean.js";
import { annotationsOf } from "./annotations.js";
import {
  confirmationPlan,
  DEFAULT_CONFIRM_TIMEOUT_MS,
  sendQuestionFor,
  writeQuestion,
} from "./confirmation.js";
import { fieldErrorsOf, InvalidArgumentsError, messageForError, NotConfirmedError } from "./errors.js";
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
}

interface PreparedTool {
  endpoint: Endpoint;
  spec: ToolSpec;
  input: z.ZodObject;
  definition: Tool;
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

export class ToolRegistry {
  #tools = new Map<string, PreparedTool>();

  constructor(
    private readonly mcp: McpServer,
    private readonly installation: Installation,
    private readonly options: ToolOptions,
    private readonly logger: Logger,
  ) {
    this.#select(installation.whoami.scopes);
    const server = mcp.server;
    server.setRequestHandler("tools/list", () => ({
      tools: [...this.#tools.values()].map((t) => t.definition),
    }));
    server.setRequestHandler("tools/call", (request, ctx) => {
      const tool = this.#tools.get(request.params.name);
      if (!tool) {
        // Not granted, filtered out, or unknown: never callable, and nothing reaches the API.
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
      }
      const progressToken = request.params._meta?.progressToken;
      return this.#call(tool, request.params.arguments, {
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
    this.#tools = new Map(grantedEndpoints(scopes, this.options).map((e) => [e.tool, prepareTool(e)]));
  }

  async #call(
    tool: PreparedTool,
    raw: unknown,
    io: { requestId: RequestId; signal: AbortSignal; progress: HandlerContext["progress"] },
  ): Promise<CallToolResult> {
    const started = performance.now();
    const ctx: HandlerContext = {
      installation: this.installation,
      maxResultBytes: this.options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES,
      signal: io.signal,
      progress: io.progress,
      attempts: 0,
      pagingDeadlineMs: this.options.pagingDeadlineMs ?? DEFAULT_PAGING_DEADLINE_MS,
    };
    // For the one log line: "ok", the platform's status, or why nothing was sent.
    let status = "ok";
    try {
      const args = validate(tool, raw);
      await this.#confirmIfNeeded(tool.endpoint, args, io);
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
      } else {
        status = "error";
        this.logger.error({ tool: tool.endpoint.tool, err: error }, "tool failed unexpectedly");
      }
      return errorResult(messageForError(error, tool.endpoint));
    } finally {
      this.logger.info(
        {
          tool: tool.endpoint.tool,
          installation: this.installation.name,
          status,
          attempts: ctx.attempts,
          ms: Math.round((performance.now() - started) * 10) / 10,
        },
        "tool call",
      );
    }
  }

  /**
   * Asks the human before a send (or an operator-listed write) when the client can be asked, on
   * the tools/call request's own stream (an HTTP client may have no standalone stream), for a
   * bounded time. Throws NotConfirmedError unless the answer is yes.
   */
  async #confirmIfNeeded(
    endpoint: Endpoint,
    args: CallArgs,
    io: { requestId: RequestId; signal: AbortSignal },
  ) {
    const plan = confirmationPlan({
      endpoint,
      confirm: this.options.confirm ?? [],
      sessionless: this.options.sessionless ?? false,
      allowUnconfirmedSends: this.options.allowUnconfirmedSends ?? false,
      // A form is what we ask with (the SDK reads `elicitation: {}` as form); URL-only clients cannot show one.
      clientCanElicit: Boolean(this.mcp.server.getClientCapabilities()?.elicitation?.form),
    });
    if (plan === "none" || plan === "host-approval") return;
    if (plan === "refuse") throw new NotConfirmedError("no_session", endpoint.tool);
    if (plan === "unconfirmed") {
      this.logger.warn(
        { tool: endpoint.tool, installation: this.installation.name },
        "sending unconfirmed: no session to ask anyone (--allow-unconfirmed-sends)",
      );
      return;
    }
    const message =
      endpoint.kind === "send"
        ? await sendQuestionFor(this.installation, args.body as { to: string; message: string }, io.signal)
        : writeQuestion(endpoint, args.request);
    const timeout = this.options.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS;
    let answer: Awaited<ReturnType<typeof this.mcp.server.elicitInput>>;
    try {
      answer = await this.mcp.server.elicitInput(
        {
          // What the human reads before agreeing: nothing in it may be invisible.
          message: cleanText(message),
          requestedSchema: {
            type: "object",
            properties: { confirm: { type: "boolean", title: "Confirm", description: "Go ahead?" } },
            required: ["confirm"],
          },
        },
        { relatedRequestId: io.requestId, signal: io.signal, timeout },
      );
    } catch (error) {
      if (io.signal.aborted) throw new NotConfirmedError("cancelled", endpoint.tool);
      if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout)
        throw new NotConfirmedError("no_answer", endpoint.tool, timeout);
      this.logger.warn({ tool: endpoint.tool, err: error }, "confirmation could not be asked");
      throw new NotConfirmedError("unavailable", endpoint.tool);
    }
    if (answer.action !== "accept" || answer.content?.confirm !== true) {
      throw new NotConfirmedError("declined", endpoint.tool);
    }
  }
}
