/**
 * The session table: every live MCP session (Streamable HTTP or legacy SSE), the API key that
 * opened it, the requests it has in flight, and when it was last used. It enforces the caps (per
 * key and in total, with a reservation so concurrent initializes cannot overshoot) and closes
 * sessions left idle.
 */
import type { ServerResponse } from "node:http";
import type { Transport } from "@modelcontextprotocol/server";
import {
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
} from "@modelcontextprotocol/server";
import type { Caller } from "./client-auth.js";
import { RpcCode, sendRpcError } from "./guards/rpc.js";

export interface SessionLimits {
  maxPerKey: number;
  maxTotal: number;
  idleMs: number;
}

export interface Session {
  id: string;
  kind: "streamable" | "sse";
  caller: Caller;
  transport: Transport;
  /** performance.now() of the last request or answer. */
  lastActive: number;
  /** JSON-RPC requests from the client not yet answered. */
  readonly pending: Set<string | number>;
  /** Closes the MCP server and its transport; the table forgets the session through `remove`. */
  close(): Promise<void>;
}

export type Admission =
  | { ok: true; release: () => void }
  | { ok: false; scope: "key" | "total"; retryAfterSeconds: number };

export class SessionTable {
  readonly #sessions = new Map<string, Session>();
  /** Sessions being created (initialize received, not yet registered), per key. */
  readonly #reserved = new Map<string, number>();
  #reservedTotal = 0;
  #sweeper?: NodeJS.Timeout;

  constructor(
    private readonly limits: SessionLimits,
    private readonly onIdle: (session: Session) => void = () => {},
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.#sessions.size;
  }

  /** Requests in flight over every session. */
  get inFlight(): number {
    let n = 0;
    for (const s of this.#sessions.values()) n += s.pending.size;
    return n;
  }

  countFor(keyId: string): number {
    let n = this.#reserved.get(keyId) ?? 0;
    for (const s of this.#sessions.values()) if (s.caller.keyId === keyId) n++;
    return n;
  }

  /** Reserves a place for a new session of `keyId`, or says which cap is full and when to retry. */
  admit(keyId: string): Admission {
    if (this.countFor(keyId) >= this.limits.maxPerKey) {
      return {
        ok: false,
        scope: "key",
        retryAfterSeconds: this.#retryAfter((s) => s.caller.keyId === keyId),
      };
    }
    if (this.#sessions.size + this.#reservedTotal >= this.limits.maxTotal) {
      return { ok: false, scope: "total", retryAfterSeconds: this.#retryAfter(() => true) };
    }
    this.#reserved.set(keyId, (this.#reserved.get(keyId) ?? 0) + 1);
    this.#reservedTotal++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.#reservedTotal--;
        const left = (this.#reserved.get(keyId) ?? 1) - 1;
        if (left > 0) this.#reserved.set(keyId, left);
        else this.#reserved.delete(keyId);
      },
    };
  }

  add(session: Session): void {
    this.#sessions.set(session.id, session);
  }

  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  remove(id: string): void {
    this.#sessions.delete(id);
  }

  touch(session: Session): void {
    session.lastActive = this.now();
  }

  all(): Session[] {
    return [...this.#sessions.values()];
  }

  /** Closes sessions with nothing in flight and no activity for `idleMs`. */
  sweep(): void {
    const now = this.now();
    for (const session of this.#sessions.values()) {
      if (session.pending.size === 0 && now - session.lastActive >= this.limits.idleMs) {
        this.#sessions.delete(session.id);
        this.onIdle(session);
      }
    }
  }

  startSweeping(): void {
    const every = Math.max(20, Math.min(30_000, Math.floor(this.limits.idleMs / 4)));
    this.#sweeper = setInterval(() => this.sweep(), every);
    this.#sweeper.unref();
  }

  stopSweeping(): void {
    clearInterval(this.#sweeper);
  }

  /** Seconds until the soonest matching idle session may be closed (at least 1). */
  #retryAfter(match: (s: Session) => boolean): number {
    const now = this.now();
    let soonest = this.limits.idleMs;
    for (const s of this.#sessions.values()) {
      if (match(s) && s.pending.size === 0)
        soonest = Math.min(soonest, Math.max(0, s.lastActive + this.limits.idleMs - now));
    }
    return Math.max(1, Math.ceil(soonest / 1000));
  }
}

/**
 * Follows the requests a transport carries: ids go into `session.pending` when a request arrives
 * and leave when its answer is sent, so shutdown can wait for calls in flight and idle eviction
 * never cuts one. Call after the server has connected to the transport (it wraps its handlers).
 */
export function followRequests(
  transport: Transport,
  session: Pick<Session, "pending" | "lastActive">,
  now = () => performance.now(),
) {
  const onmessage = transport.onmessage;
  transport.onmessage = (message, extra) => {
    if (isJSONRPCRequest(message)) session.pending.add(message.id);
    session.lastActive = now();
    onmessage?.(message, extra);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message, options) => {
    try {
      await send(message, options);
    } finally {
      if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
        if (message.id !== undefined) session.pending.delete(message.id);
        session.lastActive = now();
      }
    }
  };
}

/** The one answer to a refused admission: 503 with how long until a session likely frees up. */
export function refuseSessionCap(
  res: ServerResponse,
  admission: Extract<Admission, { ok: false }>,
  headers: Record<string, string>,
): void {
  const which = admission.scope === "key" ? "for this API key" : "on this server";
  sendRpcError(
    res,
    503,
    RpcCode.ServerError,
    `Service Unavailable: too many sessions ${which}; retry later`,
    {
      ...headers,
      "Retry-After": String(admission.retryAfterSeconds),
    },
  );
}
