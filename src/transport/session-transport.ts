/**
 * One 2025 Streamable HTTP session's transport, written straight onto node:http. It speaks the
 * same wire as the SDK's `NodeStreamableHTTPServerTransport` (the same statuses, error texts and
 * SSE framing, checked by the same tests and the conformance suite), minus what this server never
 * uses: resumability (no event store), JSON answers instead of streams, and its own body reading
 * and JSON-RPC validation, which the guards have done (readRpcBody, jsonrpc-shape.ts).
 *
 * Why not the SDK's: its Node transport converts every request into a web `Request` and writes
 * every answer through a web `ReadableStream` that @hono/node-server then copies onto the
 * `ServerResponse` (after flushing the headers on their own). Leaving it cut this server's CPU per
 * 2025 tool call from ~660 to ~405 us (bench/RESULTS.md, fifth pass): here an answer is one
 * `res.end()`.
 *
 * Streams: each POST that carries requests gets an SSE stream that ends once every one of them is
 * answered or cancelled by the client (the SDK's stays open after a cancel, though no answer ever
 * comes: a connection held per cancelled call). A GET opens the session's one standalone stream,
 * which carries what the server sends outside any request (list changes, resource updates). One
 * keep-alive timer per session writes a comment to every open stream, so a silent stream survives
 * proxies' idle timeouts.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  isInitializeRequest,
  type JSONRPCMessage,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
  type Transport,
  type TransportSendOptions,
} from "@modelcontextprotocol/server";
import { cancelledRequestId, isRequest, isResponse } from "./guards/jsonrpc-shape.js";
import { RpcCode, sendRpcError } from "./guards/rpc.js";

const SSE_HEADERS = {
  "Content-Type": "text/event-stream",
  "Cache-Control": "no-cache, no-transform",
  Connection: "keep-alive",
  "X-Accel-Buffering": "no",
} as const;

const KEEP_ALIVE_FRAME = ": keepalive\n\n";
/** setInterval's ceiling (a longer delay would fire at once). */
const MAX_TIMER_MS = 2_147_483_647;

/** One open SSE answer: a POST's (its requests' ids) or the standalone GET stream (none). */
interface Stream {
  res: ServerResponse;
  /** The POST's requests: what is related to them goes on this stream until it ends. */
  readonly ids: readonly RequestId[];
  /** Those not yet answered (nor cancelled); the stream ends when the last one is. */
  readonly unanswered: Set<RequestId>;
}

export interface SessionTransportOptions {
  /** Without it the transport is stateless: one POST, no session id, no GET or DELETE. */
  newSessionId?: () => string;
  /** Told the session's id once its initialize is accepted, before the answer is written. */
  onInitialized?: (sessionId: string) => void;
  /** Between keep-alive comments on open streams; 0 turns them off. */
  keepAliveMs: number;
}

/** An HTTP refusal: status, JSON-RPC error code, message. */
type Refusal = readonly [status: number, code: number, message: string];

const SESSION_NOT_FOUND: Refusal = [404, RpcCode.SessionNotFound, "Session not found"];
const ONE_STANDALONE_STREAM: Refusal = [
  409,
  RpcCode.ServerError,
  "Conflict: Only one SSE stream is allowed per session",
];

function refuse(res: ServerResponse, [status, code, message]: Refusal): void {
  sendRpcError(res, status, code, message);
}

function sseEvent(message: JSONRPCMessage): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

export class SessionTransport implements Transport {
  sessionId?: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport["onmessage"];

  readonly #options: SessionTransportOptions;
  /** The stream of each request whose stream has not ended (answered ones of a batch too). */
  readonly #streamOf = new Map<RequestId, Stream>();
  readonly #open = new Set<Stream>();
  #standalone?: Stream;
  #supported: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS;
  #initialized = false;
  #started = false;
  #closed = false;
  #keepAlive?: NodeJS.Timeout;

  constructor(options: SessionTransportOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    if (this.#started) throw new Error("Transport already started");
    this.#started = true;
  }

  /** The server's versions: an `MCP-Protocol-Version` header naming another is refused. */
  setSupportedProtocolVersions(versions: string[]): void {
    this.#supported = versions;
  }

  /**
   * A POST whose body the guards read and checked (`messages`: valid JSON-RPC, 1 to 100). Answers
   * 202 when it carries no request; otherwise opens its SSE stream, which `send` writes and ends.
   */
  handlePost(req: IncomingMessage, res: ServerResponse, messages: JSONRPCMessage[]): void {
    const initialize = messages.some(isInitializeRequest);
    const refusal = initialize ? this.#initializeRefusal(messages) : this.#requestRefusal(req);
    if (refusal) {
      refuse(res, refusal);
      return;
    }
    if (initialize) {
      this.sessionId = this.#options.newSessionId?.();
      this.#initialized = true;
      if (this.sessionId !== undefined) this.#options.onInitialized?.(this.sessionId);
    }
    const ids = messages.filter(isRequest).map((request) => request.id);
    if (ids.length === 0) {
      this.#deliver(messages);
      res.writeHead(202).end();
      return;
    }
    const stream = this.#openStream(res, ids);
    for (const id of ids) this.#streamOf.set(id, stream);
    res.once("close", () => this.#dropped(stream));
    this.#deliver(messages);
  }

  /** GET: the standalone stream (one per session; a second is refused 409). */
  handleGet(req: IncomingMessage, res: ServerResponse): void {
    const refusal = this.#requestRefusal(req) ?? (this.#standalone ? ONE_STANDALONE_STREAM : undefined);
    if (refusal) {
      refuse(res, refusal);
      return;
    }
    const stream = this.#openStream(res, []);
    res.flushHeaders(); // its client waits for them
    this.#standalone = stream;
    res.once("close", () => {
      if (this.#standalone === stream) this.#standalone = undefined;
      this.#dropped(stream);
    });
  }

  /** DELETE: the client ends the session. */
  async handleDelete(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = this.#requestRefusal(req);
    if (refusal) {
      refuse(res, refusal);
      return;
    }
    res.writeHead(200).end();
    await this.close();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const response = isResponse(message);
    const requestId = response ? message.id : options?.relatedRequestId;
    if (requestId === undefined) {
      if (response)
        throw new Error(
          "Cannot send a response on a standalone SSE stream unless resuming a previous client request",
        );
      // Outside any request: the standalone stream, when the client has one open (else it is dropped).
      if (this.#standalone) this.#write(this.#standalone, sseEvent(message));
      return;
    }
    const stream = this.#streamOf.get(requestId);
    if (!stream) throw new Error(`No connection established for request ID: ${String(requestId)}`);
    const last = response && stream.unanswered.delete(requestId) && stream.unanswered.size === 0;
    if (last) this.#forget(stream);
    if (!this.#open.has(stream)) {
      if (response)
        this.onerror?.(
          new Error(
            `Response for request ID ${String(requestId)} is undeliverable: its stream is disconnected`,
          ),
        );
      return;
    }
    // The last answer: it and the end of the stream in one write.
    if (last) this.#end(stream, sseEvent(message));
    else this.#write(stream, sseEvent(message));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
    for (const stream of this.#open) stream.res.end();
    this.#open.clear();
    this.#streamOf.clear();
    this.#standalone = undefined;
    this.onclose?.();
  }

  #initializeRefusal(messages: JSONRPCMessage[]): Refusal | undefined {
    if (this.#closed) return SESSION_NOT_FOUND;
    if (this.#initialized && this.sessionId !== undefined)
      return [400, RpcCode.InvalidRequest, "Invalid Request: Server already initialized"];
    if (messages.length > 1)
      return [400, RpcCode.InvalidRequest, "Invalid Request: Only one initialization request is allowed"];
    return undefined;
  }

  /**
   * A request after initialize: its session id (only with sessions) and its protocol version
   * header, as the SDK's transport checks them.
   */
  #requestRefusal(req: IncomingMessage): Refusal | undefined {
    if (this.#closed) return SESSION_NOT_FOUND;
    if (this.#options.newSessionId !== undefined) {
      if (!this.#initialized) return [400, RpcCode.ServerError, "Bad Request: Server not initialized"];
      const id = req.headers["mcp-session-id"];
      if (!id) return [400, RpcCode.ServerError, "Bad Request: Mcp-Session-Id header is required"];
      if (id !== this.sessionId) return SESSION_NOT_FOUND;
    }
    const version = req.headers["mcp-protocol-version"];
    if (version === undefined || this.#supported.includes(String(version))) return undefined;
    return [
      400,
      RpcCode.ServerError,
      `Bad Request: Unsupported protocol version: ${String(version)} (supported versions: ${this.#supported.join(", ")})`,
    ];
  }

  /** Hands the messages to the server; a cancelled request will get no answer: its stream is done. */
  #deliver(messages: JSONRPCMessage[]): void {
    for (const message of messages) {
      this.onmessage?.(message);
      const cancelled = cancelledRequestId(message);
      if (cancelled !== undefined) this.#cancelled(cancelled);
    }
  }

  /**
   * Sets the SSE headers; they travel with the first write (an answer within the same call is one
   * write, headers and all).
   */
  #openStream(res: ServerResponse, ids: RequestId[]): Stream {
    res.statusCode = 200;
    for (const [name, value] of Object.entries(SSE_HEADERS)) res.setHeader(name, value);
    if (this.sessionId !== undefined) res.setHeader("mcp-session-id", this.sessionId);
    const stream: Stream = { res, ids, unanswered: new Set(ids) };
    this.#open.add(stream);
    this.#startKeepAlive();
    return stream;
  }

  /** The client withdrew a request (the server sends nothing for it): the last one ends its stream. */
  #cancelled(id: RequestId): void {
    const stream = this.#streamOf.get(id);
    if (!stream?.unanswered.delete(id) || stream.unanswered.size > 0) return;
    this.#forget(stream);
    if (this.#open.has(stream)) this.#end(stream);
  }

  /** Every request of the stream is done with: nothing routes to it any more (as the SDK's). */
  #forget(stream: Stream): void {
    for (const id of stream.ids) if (this.#streamOf.get(id) === stream) this.#streamOf.delete(id);
  }

  #end(stream: Stream, last?: string): void {
    this.#open.delete(stream);
    this.#stopKeepAliveIfQuiet();
    stream.res.end(last);
  }

  #write(stream: Stream, text: string): void {
    stream.res.write(text);
  }

  /** The client hung up on a POST's stream: its answers are undeliverable from now on. */
  #dropped(stream: Stream): void {
    if (!this.#open.delete(stream)) return;
    this.#stopKeepAliveIfQuiet();
  }

  #startKeepAlive(): void {
    const every = this.#options.keepAliveMs;
    if (this.#keepAlive || !Number.isFinite(every) || every < 1) return;
    this.#keepAlive = setInterval(
      () => {
        for (const stream of this.#open) this.#write(stream, KEEP_ALIVE_FRAME);
      },
      Math.min(every, MAX_TIMER_MS),
    );
    this.#keepAlive.unref();
  }

  #stopKeepAliveIfQuiet(): void {
    if (this.#open.size > 0) return;
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
  }
}
