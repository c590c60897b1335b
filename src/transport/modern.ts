/**
 * The 2026-07-28 leg of /mcp: no sessions, each request carries its protocol version in `_meta`
 * and is answered by a fresh server (`follow: false`) from the SDK's `createMcpHandler`. One
 * handler per installation, so each has its own listen bus and one school's events never reach
 * another's streams; each comes with the installation's follower (follower.ts), which publishes
 * its changes on that bus. With a shared store (Redis), the bus is the store's pub/sub, so a
 * listen stream on any instance hears what any instance announces.
 *
 * `subscriptions/listen` is checked here before the SDK sees it (the SDK honours any URI): only
 * subscribable URIs served under the installation's grant and filters, and at most
 * `maxListenStreamsPerKey` open streams per API key. Under `--stateless`, 2025 clients are served
 * here too, each POST by a server and a transport of its own (serveOneLegacyPost).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { toNodeHandler } from "@modelcontextprotocol/node";
import type {
  AuthInfo,
  JSONRPCMessage,
  JSONRPCRequest,
  McpHttpHandler,
  McpServer,
  ServerNotifier,
} from "@modelcontextprotocol/server";
import { createMcpHandler, ProtocolErrorCode } from "@modelcontextprotocol/server";
import { type EventClaim, InstallationFollower } from "../follower.js";
import { isListenRequest, listenRefusal } from "../resources/listen.js";
import { onlyToolRequests } from "../server.js";
import { SharedStoreEventBus } from "../store/event-bus.js";
import { KEY_PREFIX, type SharedStore, storeKey } from "../store/shared-store.js";
import type { Tenant } from "../tenant.js";
import { type Caller, sha256Hex } from "./client-auth.js";
import type { EndpointContext } from "./context.js";
import { sendRpcError, sendShuttingDown } from "./guards/rpc.js";
import { SessionTransport } from "./session-transport.js";

type McpServerFactory = Parameters<typeof createMcpHandler>[0];

/** How long an announced event id is remembered, so no other instance announces it again. */
const CLAIM_TTL_MS = 10 * 60_000;
/** The code the SDK uses for its own "Subscription limit reached". */
const LIMIT_REACHED = -32603;

interface TenantLeg {
  handler: McpHttpHandler;
  follower: InstallationFollower;
  bus?: SharedStoreEventBus;
  /** A server for one request: the tools alone for a request made only of tool calls and listings. */
  serverFor: (toolsOnly: boolean) => McpServer;
  modern: ReturnType<typeof toNodeHandler>;
}

/** An open listen stream: the installation it was opened on, and its response. */
interface ListenStream {
  tenant: Tenant;
  res: ServerResponse;
}

export class ModernEndpoint {
  readonly #legs = new Map<Tenant, Promise<TenantLeg>>();
  /** Open listen streams by the API key that opened them (the per-key cap counts them). */
  readonly #listening = new Map<string, Set<ListenStream>>();
  #closed = false;

  constructor(
    private readonly ctx: EndpointContext,
    /** Given when the store is shared with other instances: the bus then runs over it. */
    private readonly sharedStore: SharedStore | undefined,
  ) {}

  /**
   * Serves a 2026 POST, or (`legacy`, only under --stateless) a 2025 one. `untrack()` takes the
   * request out of the shutdown's in-flight count: a listen stream stays open until closed.
   */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    caller: Caller,
    body: { raw: unknown; messages: JSONRPCMessage[] },
    legacy: boolean,
    headers: Record<string, string>,
    untrack: () => void,
  ): Promise<void> {
    // A request that passed the guards just before shutdown began: no new leg behind its back.
    if (this.#closed) return sendShuttingDown(res, headers);
    // The CORS headers are already on `res` (routes.ts sets them before any route): the SDK's answer keeps them.
    const leg = await this.#legFor(caller.tenant);
    const toolsOnly = onlyToolRequests(body.messages);
    // The SDK hands this to the factory as ctx.authInfo (never the API key itself); `extra` says
    // which server to make. Only this object, made here, reaches the factory: no client sets it.
    const auth: AuthInfo = {
      token: "",
      clientId: caller.keyId,
      scopes: [...caller.tenant.installation.whoami.scopes],
      extra: { toolsOnly },
    };
    const request = Object.assign(req, { auth });
    if (legacy) {
      return serveOneLegacyPost(
        leg.serverFor(toolsOnly),
        this.ctx.limits.sseKeepAliveMs,
        request,
        res,
        body.messages,
      );
    }
    const listen = body.messages.find(isListenRequest);
    if (listen && !this.#admitListen(listen, leg, caller, res, headers)) return;
    if (listen) {
      untrack();
      this.#trackListen(caller, res);
    }
    await leg.modern(request, res, body.raw);
  }

  /** Open listen streams, of one key or of all (the shutdown log). */
  listenStreams(keyId?: string): number {
    if (keyId !== undefined) return this.#listening.get(keyId)?.size ?? 0;
    let total = 0;
    for (const streams of this.#listening.values()) total += streams.size;
    return total;
  }

  /** Ends the listen streams of `tenant` (gracefully) and stops following it (SIGHUP removed it). */
  async forget(tenant: Tenant): Promise<void> {
    const leg = this.#legs.get(tenant);
    if (!leg) return;
    this.#legs.delete(tenant);
    await close(await leg);
  }

  /**
   * Cuts the listen streams `keyId` opened on `tenant` (the key no longer selects it) and says how
   * many. The SDK ends streams gracefully only all at once (a handler's close), so these end as a
   * dropped connection: the client listens again, and its key is refused or reaches its new
   * installation. The other keys' streams stay open.
   */
  endListenStreams(tenant: Tenant, keyId: string): number {
    const cut = [...(this.#listening.get(keyId) ?? [])].filter((s) => s.tenant === tenant);
    for (const stream of cut) stream.res.destroy();
    return cut.length;
  }

  /** Ends every listen stream gracefully and aborts 2026 exchanges still running. */
  async close(): Promise<void> {
    this.#closed = true;
    const legs = [...this.#legs.values()];
    this.#legs.clear();
    await Promise.all(legs.map(async (leg) => close(await leg)));
  }

  #trackListen(caller: Caller, res: ServerResponse): void {
    const stream: ListenStream = { tenant: caller.tenant, res };
    let streams = this.#listening.get(caller.keyId);
    if (!streams) {
      streams = new Set();
      this.#listening.set(caller.keyId, streams);
    }
    streams.add(stream);
    res.once("close", () => {
      streams.delete(stream);
      if (streams.size === 0) this.#listening.delete(caller.keyId);
    });
  }

  #admitListen(
    listen: JSONRPCRequest,
    leg: TenantLeg,
    caller: Caller,
    res: ServerResponse,
    headers: Record<string, string>,
  ): boolean {
    // In-band like the SDK's own listen refusals: a JSON-RPC error for the request, HTTP 200.
    const refused = listenRefusal(listen, (uri) => leg.follower.refusal(uri));
    if (refused) {
      sendRpcError(res, 200, ProtocolErrorCode.InvalidParams, refused, headers, listen.id);
      return false;
    }
    const cap = this.ctx.limits.maxListenStreamsPerKey;
    if (this.listenStreams(caller.keyId) >= cap) {
      this.ctx.logger.warn({ keyId: caller.keyId, cap }, "listen stream cap reached; listen refused");
      sendRpcError(
        res,
        200,
        LIMIT_REACHED,
        `Subscription limit reached: at most ${cap} open subscriptions/listen streams per API key; close one first`,
        headers,
        listen.id,
      );
      return false;
    }
    return true;
  }

  #legFor(tenant: Tenant): Promise<TenantLeg> {
    let leg = this.#legs.get(tenant);
    if (!leg) {
      leg = this.#makeLeg(tenant);
      this.#legs.set(tenant, leg);
    }
    return leg;
  }

  async #makeLeg(tenant: Tenant): Promise<TenantLeg> {
    const { logger, limits } = this.ctx;
    const caller: Caller = { keyId: "", tenant };
    // Per request: nothing to follow, nothing to leak when the SDK drops the instance unclosed.
    const serverFor = (toolsOnly: boolean) =>
      toolsOnly ? this.ctx.toolServerFor(caller) : this.ctx.serverFor(caller, { follow: false }).mcp;
    const factory: McpServerFactory = (ctx) => serverFor(ctx.authInfo?.extra?.toolsOnly === true);
    const onerror = (error: Error) =>
      logger.debug({ err: { message: error.message }, installation: tenant.name }, "2026 request refused");
    const tenantId = tenant.installation.whoami.tenant_id;
    // Installation names may hold any character; the store key takes a hash of it.
    const nameId = sha256Hex(tenant.name).slice(0, 16);
    const bus = this.sharedStore
      ? new SharedStoreEventBus(
          this.sharedStore,
          storeKey(KEY_PREFIX, tenantId, "listen", nameId),
          logger.child({ component: "listen-bus" }),
        )
      : undefined;
    await bus?.ready();
    const handler = createMcpHandler(factory, {
      legacy: "reject",
      onerror,
      maxRequestBodySize: limits.maxBodyBytes,
      // Comment frames on listen streams (and on a request's stream once it is SSE), at the
      // legacy SSE streams' interval: a silent stream stays open behind a proxy in both eras.
      keepAliveMs: limits.sseKeepAliveMs,
      ...(bus ? { bus } : {}),
    });
    const store = this.sharedStore;
    const claim: EventClaim | undefined = store
      ? (id) =>
          store.setIfAbsent(
            storeKey(KEY_PREFIX, tenantId, "announced", nameId, sha256Hex(id).slice(0, 24)),
            "1",
            CLAIM_TTL_MS,
          )
      : undefined;
    const notify: ServerNotifier = handler.notify;
    const follower = new InstallationFollower(tenant.installation, this.ctx.options, logger, notify, claim);
    return {
      handler,
      follower,
      bus,
      serverFor,
      modern: toNodeHandler(handler),
    };
  }
}

/**
 * A 2025 POST without a session, as the SDK's own stateless examples serve it: a server and a
 * transport for this one request, closed when its answer is. The transport is the sessions' own
 * (session-transport.ts), stateless: the SDK's Node transport, or its fetch-based
 * `legacyStatelessFallback`, would put the exchange behind a web Request and stream
 * (bench/RESULTS.md). The messages are those the guard read and checked.
 */
async function serveOneLegacyPost(
  server: McpServer,
  keepAliveMs: number,
  req: IncomingMessage,
  res: ServerResponse,
  messages: JSONRPCMessage[],
): Promise<void> {
  const transport = new SessionTransport({ keepAliveMs });
  res.once("close", () => void server.close().catch(() => {}));
  await server.connect(transport);
  transport.handlePost(req, res, messages);
}

async function close(leg: TenantLeg): Promise<void> {
  await leg.handler.close().catch(() => {});
  await leg.follower.close();
  await leg.bus?.close();
}
