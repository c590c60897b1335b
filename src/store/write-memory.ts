/**
 * Creates and sends a model can't double. An identical create or send (same installation, tool
 * and canonical arguments, the caller's idempotency_key included) within the window reuses the
 * first call's idempotency key, so the platform answers with its stored result instead of making
 * a second record. Updates never come here: a PATCH repeated is harmless, a PATCH swallowed loses
 * data (A -> B -> A must end at A).
 *
 * Each fingerprint holds one entry with what is known of the earlier call:
 * - `in_flight`: sent and not answered yet (a lease: a crashed holder's entry goes stale);
 * - `succeeded`: the platform answered 2xx; a repeat is a replay of that answer;
 * - `unknown`: the call ended without a clear answer (5xx, timeout, dropped connection); a repeat
 *   with the same key completes it exactly once.
 * A call that failed definitively (a 4xx with no earlier attempt that may have been applied, or
 * nothing was sent) leaves no entry.
 * The claim is atomic (`setIfAbsent` / `replaceIf`: Redis `SET NX` and a compare-and-set script),
 * so two instances sharing a store never both send a first attempt under different keys.
 */
import { createHash, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { canonicalJson } from "../text/canonical-json.js";
import { InMemorySharedStore } from "./memory.js";

export const DEFAULT_REPLAY_WINDOW_MS = 10 * 60 * 1000;
/** Longer than one call's whole retry budget (the client's 25 s deadline) plus a margin. */
export const DEFAULT_IN_FLIGHT_LEASE_MS = 35_000;
const POLL_MS = 50;

export function writeFingerprint(installation: string, tool: string, args: unknown): string {
  return createHash("sha256")
    .update(`${installation}\n${tool}\n${canonicalJson(args)}`)
    .digest("hex");
}

export type WriteEntry =
  | { state: "in_flight"; key: string; at: number; until: number }
  | { state: "succeeded"; key: string; at: number }
  | { state: "unknown"; key: string; at: number };

/** What the platform and this server knew of an identical earlier call, when there was one. */
export type EarlierCall = { state: "succeeded" | "unknown"; at: number };

/**
 * Where entries live: the in-process SharedStore by default, shared (Redis) across instances
 * (write-store.ts). Values are opaque strings.
 */
export interface WriteMemoryStore {
  get(fingerprint: string): Promise<string | undefined>;
  /** Stores only when nothing is there; true for the one caller that stored. */
  setIfAbsent(fingerprint: string, value: string, ttlMs: number): Promise<boolean>;
  /** Replaces the value only while it is still `expected`; true when it did. */
  replaceIf(fingerprint: string, expected: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes only while the value is still `expected`. */
  deleteIf(fingerprint: string, expected: string): Promise<void>;
}

/** How the claimed call ended, as far as the platform told us. */
export type Settlement = "succeeded" | "unknown" | "refused";

export interface WriteClaim {
  /** The idempotency key to send on every attempt of this call. */
  key: string;
  earlier?: EarlierCall;
  /** Records the end of this call; call exactly once. */
  settle(how: Settlement): Promise<void>;
}

/** A repeat of a remembered success: its key replays the stored answer, and nothing is held to settle. */
function replayClaim(entry: { key: string; at: number }): WriteClaim {
  return { key: entry.key, earlier: { state: "succeeded", at: entry.at }, settle: async () => {} };
}

/** An identical write is still being sent elsewhere and did not finish within the wait. */
export class WriteInProgressError extends Error {
  constructor(readonly sinceMs: number) {
    super("An identical write is still in progress");
  }
}

export interface WriteMemoryOptions {
  windowMs?: number;
  leaseMs?: number;
  now?: () => number;
}

function parseEntry(raw: string | undefined): WriteEntry | undefined {
  if (raw === undefined) return undefined;
  try {
    const e = JSON.parse(raw) as Partial<WriteEntry> & { until?: unknown };
    if (typeof e.key !== "string" || typeof e.at !== "number") return undefined;
    if (e.state === "in_flight" && typeof e.until === "number") return e as WriteEntry;
    if (e.state === "succeeded" || e.state === "unknown") return { state: e.state, key: e.key, at: e.at };
  } catch {}
  return undefined;
}

export class WriteMemory {
  readonly #windowMs: number;
  readonly #leaseMs: number;
  readonly #now: () => number;

  constructor(
    // The in-process SharedStore has exactly these operations, atomic within the process.
    private readonly store: WriteMemoryStore = new InMemorySharedStore(),
    options: WriteMemoryOptions = {},
  ) {
    this.#windowMs = options.windowMs ?? DEFAULT_REPLAY_WINDOW_MS;
    this.#leaseMs = options.leaseMs ?? DEFAULT_IN_FLIGHT_LEASE_MS;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The claim of a repeat, when the identical call's success is remembered: read only, nothing
   * held. A repeat sends nothing new (the same key replays), so nobody need be asked before it;
   * the claim keeps that key even if the entry expires before the repeat goes out.
   */
  async succeeded(fingerprint: string): Promise<WriteClaim | undefined> {
    if (this.#windowMs <= 0) return undefined;
    const entry = parseEntry(await this.store.get(fingerprint));
    return entry?.state === "succeeded" ? replayClaim(entry) : undefined;
  }

  /**
   * Claims the write before it is sent. When an identical call is in flight (here or on another
   * instance) this waits for it, up to `maxWaitMs`, so its outcome decides what this call is.
   */
  async claim(
    fingerprint: string,
    callerKey: string | undefined,
    options: { maxWaitMs?: number; signal?: AbortSignal } = {},
  ): Promise<WriteClaim> {
    if (this.#windowMs <= 0) return { key: callerKey ?? randomUUID(), settle: async () => {} };
    const waitUntil = this.#now() + (options.maxWaitMs ?? this.#leaseMs);
    for (;;) {
      const raw = await this.store.get(fingerprint);
      const entry = parseEntry(raw);
      const now = this.#now();
      if (entry === undefined) {
        const mine = this.#inFlight(callerKey ?? randomUUID(), now);
        if (await this.store.setIfAbsent(fingerprint, JSON.stringify(mine), this.#windowMs)) {
          return this.#claimed(fingerprint, mine);
        }
        continue; // another caller claimed it between our read and our write: look again
      }
      if (entry.state === "succeeded") {
        // Replaying a stored success sends nothing new: no need to hold the entry.
        return replayClaim(entry);
      }
      if (entry.state === "in_flight" && entry.until > now) {
        if (now >= waitUntil) throw new WriteInProgressError(now - entry.at);
        await sleep(POLL_MS, undefined, options.signal ? { signal: options.signal } : undefined);
        continue;
      }
      // Unknown outcome, or a holder that never settled (crashed): finish it under the same key.
      const mine = this.#inFlight(entry.key, now);
      if (await this.store.replaceIf(fingerprint, raw as string, JSON.stringify(mine), this.#windowMs)) {
        return this.#claimed(fingerprint, mine, { state: "unknown", at: entry.at });
      }
    }
  }

  #inFlight(key: string, now: number): WriteEntry {
    return { state: "in_flight", key, at: now, until: now + this.#leaseMs };
  }

  #claimed(fingerprint: string, mine: WriteEntry, earlier?: EarlierCall): WriteClaim {
    const held = JSON.stringify(mine);
    const at = earlier?.at ?? mine.at;
    return {
      key: mine.key,
      ...(earlier ? { earlier } : {}),
      settle: async (how) => {
        // Only while the entry is still ours: a stale lease taken over by another call is theirs.
        if (how === "refused") return this.store.deleteIf(fingerprint, held);
        const next: WriteEntry = { state: how, key: mine.key, at };
        await this.store.replaceIf(fingerprint, held, JSON.stringify(next), this.#windowMs);
      },
    };
  }
}
