/**
 * The session table: every live MCP session (Streamable HTTP or legacy SSE), the API key that
 * opened it, the requests it has in flight, and when it was last used. It enforces the caps (per
 * key and in total, with a reservation so concurrent initializes cannot overshoot) and closes
 * sessions left idle.
 *
 * At a cap a new session is not refused while an idle one can make room: the least recently used
 * session with nothing in flight is closed instead (clients that never end their sessions would
 * otherwise lock their key out until the idle timeout). Only when every session at the cap is
 * busy is the new one refused. A session is never closed under a call: closing it would lose an
 * answer its client is waiting for, possibly of a write that happened.
 */
import type { ServerResponse } from "node:http";
import type { Transport } from "@modelcontextprotocol/server";
import type { Logger } from "../logger.js";
import type { Caller } from "./client-auth.js";
import { cancelledRequestId, isRequest, isResponse } from "./guards/jsonrpc-shape.js";
import { RpcCode, sendRpcError } from "./guards/rpc.js";
import { KeyCounts } from "./key-counts.js";

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
  /**
   * POSTs to this session being handled: counted from the moment the session is looked up, since
   * their requests reach `pending` only once the transport has read them.
   */
  handling: number;
  /** Closes the MCP server and its transport; the table forgets the session through `remove`. */
  close(): Promise<void>;
}

/** A session as its transport opens it: active now, nothing in flight. */
export function newSession(opened: Pick<Session, "id" | "kind" | "caller" | "transport" | "close">): Session {
  return { ...opened, lastActive: performance.now(), pending: new Set(), handling: 0 };
}

export type CapScope = "key" | "total";

/** Why the table closed a session: left idle, or to make room for a new one at a cap. */
export type CloseReason = "idle" | "key cap" | "total cap";

export type Admission =
  | { ok: true; release: () => void }
  | { ok: false; scope: CapScope; limit: number; retryAfterSeconds: number };

/**
 * Retry-After when every session at a cap is busy: a busy session makes room the moment its call
 * is answered, and calls take about a second, so the soonest useful retry is that far off.
 */
export const BUSY_RETRY_AFTER_SECONDS = 1;

/** Whether the session has work under way (never closed then, by the sweep or to make room). */
export function isBusy(session: Pick<Session, "pending" | "handling">): boolean {
  return session.pending.size > 0 || session.handling > 0;
}

export class SessionTable {
  readonly #sessions = new Map<string, Session>();
  /** Sessions being created (initialize received, not yet registered), per key. */
  readonly #reserved = new KeyCounts();
  #sweeper?: NodeJS.Timeout;

  constructor(
    private readonly limits: SessionLimits,
    /** Told of each session the table has closed (already forgotten): it closes the server. */
    private readonly onClosed: (session: Session, reason: CloseReason) => void = () => {},
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Calls in flight over every session, each once: a session's requests not yet answered, or, while
   * more POSTs to it are being handled than it has requests pending (their messages not read yet),
   * one per POST.
   */
  get inFlight(): number {
    let n = 0;
    for (const s of this.#sessions.values()) n += Math.max(s.pending.size, s.handling);
    return n;
  }

  countFor(keyId: string): number {
    let n = this.#reserved.of(keyId);
    for (const s of this.#sessions.values()) if (s.caller.keyId === keyId) n++;
    return n;
  }

  /**
   * Reserves a place for a new session of `keyId`. At a cap, first closes the least recently used
   * idle session under it (the key's own at the per-key cap, any key's at the total cap); when
   * every one is busy, says which cap is full.
   */
  admit(keyId: string): Admission {
    if (this.countFor(keyId) >= this.limits.maxPerKey && !this.#makeRoom("key cap", keyId))
      return this.#refused("key", this.limits.maxPerKey);
    if (this.#sessions.size + this.#reserved.total >= this.limits.maxTotal && !this.#makeRoom("total cap"))
      return this.#refused("total", this.limits.maxTotal);
    this.#reserved.add(keyId);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.#reserved.remove(keyId);
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

  /**
   * Marks a POST to the session as under way (it is busy until `done()`), so the session is not
   * closed between being looked up and its request reaching the transport.
   */
  begin(session: Session): () => void {
    this.touch(session);
    session.handling++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      session.handling--;
      this.touch(session);
    };
  }

  all(): Session[] {
    return [...this.#sessions.values()];
  }

  /** Closes sessions with nothing in flight and no activity for `idleMs`. */
  sweep(): void {
    const now = this.now();
    for (const session of this.#sessions.values()) {
      if (!isBusy(session) && now - session.lastActive >= this.limits.idleMs) this.#close(session, "idle");
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

  /** Closes the least recently used idle session (of `keyId`, if given); false when all are busy. */
  #makeRoom(reason: Exclude<CloseReason, "idle">, keyId?: string): boolean {
    let oldest: Session | undefined;
    for (const s of this.#sessions.values()) {
      if (keyId !== undefined && s.caller.keyId !== keyId) continue;
      if (!isBusy(s) && (oldest === undefined || s.lastActive < oldest.lastActive)) oldest = s;
    }
    if (oldest) this.#close(oldest, reason);
    return oldest !== undefined;
  }

  #close(session: Session, reason: CloseReason): void {
    this.#sessions.delete(session.id);
    this.onClosed(session, reason);
  }

  #refused(scope: CapScope, limit: number): Admission {
    return { ok: false, scope, limit, retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS };
  }
}

const CLOSED_BECAUSE: Record<CloseReason, string> = {
  idle: "idle session closed",
  "key cap": "session closed to make room: the least recently used idle one at the per-key cap",
  "total cap": "session closed to make room: the least recently used idle one at the total cap",
};

/**
 * What the table does with a session it closed: log it (the key id, never the key) and close its
 * server, which ends its streams; its client's next request is answered 404, the spec's signal
 * to initialize a new session.
 */
export function closeAndLog(logger: Logger): (session: Session, reason: CloseReason) => void {
  return (session, reason) => {
    logger.info({ session: session.id, keyId: session.caller.keyId, reason }, CLOSED_BECAUSE[reason]);
    void session.close().catch(() => {});
  };
}

/**
 * Follows the requests a transport carries: ids go into `session.pending` when a request arrives
 * and leave when its answer is sent, or when the client cancels it (the SDK then sends no answer:
 * left in, it would keep the session busy for good), so shutdown can wait for calls in flight and
 * idle eviction never cuts one. Call after the server has connected to the transport (it wraps its handlers).
 * An answer marks the session active (over legacy SSE it travels after its POST is done); the
 * arrival of a request need not, since it comes within a POST that `SessionTable.begin` marks.
 */
export function followRequests(transport: Transport, session: Pick<Session, "pending" | "lastActive">) {
  const onmessage = transport.onmessage;
  transport.onmessage = (message, extra) => {
    if (isRequest(message)) session.pending.add(message.id);
    const cancelled = cancelledRequestId(message);
    if (cancelled !== undefined) session.pending.delete(cancelled);
    onmessage?.(message, extra);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message, options) => {
    try {
      await send(message, options);
    } finally {
      if (isResponse(message)) {
        if (message.id !== undefined) session.pending.delete(message.id);
        session.lastActive = performance.now();
      }
    }
  };
}

/**
 * The session `id` names, when it is of `kind` and was opened with the caller's key on the
 * caller's installation; otherwise answers 404 and gives undefined. Another key's session gets the
 * same answer as an unknown id (a session id is never a credential, and its existence is not
 * told); that refusal is logged. A key moved to another installation by a reload reaches none of
 * the sessions it opened on the first one, even while they are being closed.
 */
export function ownSession(
  { sessions, logger }: { sessions: SessionTable; logger: Logger },
  caller: Caller,
  kind: Session["kind"],
  id: string,
  res: ServerResponse,
  headers: Record<string, string>,
): Session | undefined {
  const session = sessions.get(id);
  if (
    session?.kind === kind &&
    session.caller.keyId === caller.keyId &&
    session.caller.tenant === caller.tenant
  )
    return session;
  if (session && session.caller.keyId !== caller.keyId) {
    logger.warn(
      { keyId: caller.keyId, owner: session.caller.keyId },
      "session presented with another API key; refused",
    );
  }
  sendRpcError(res, 404, RpcCode.SessionNotFound, "Session not found", headers);
  return undefined;
}

/** The one answer to a refused admission: 503, every session at the cap busy, and when to retry. */
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
    `Service Unavailable: all ${admission.limit} sessions ${which} are busy with calls in flight; retry after ${admission.retryAfterSeconds} s`,
    {
      ...headers,
      "Retry-After": String(admission.retryAfterSeconds),
    },
  );
}
