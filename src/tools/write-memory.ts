/**
 * Writes a model can't double: an identical write (same installation, tool and canonical
 * arguments) within the window reuses the first call's idempotency key, so the platform replays
 * the stored response instead of creating a second record. A model that re-sends a create after
 * a timeout is the common case this guards against.
 */
import { createHash, randomUUID } from "node:crypto";

export const DEFAULT_REPLAY_WINDOW_MS = 10 * 60 * 1000;

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function writeFingerprint(installation: string, tool: string, args: unknown): string {
  return createHash("sha256")
    .update(`${installation}\n${tool}\n${canonicalJson(args)}`)
    .digest("hex");
}

export interface KeyChoice {
  key: string;
  /** True when an identical earlier write supplied the key. */
  reused: boolean;
  firstAt?: number;
}

/** Where remembered keys live; in memory by default, shared (e.g. Redis) across instances later. */
export interface WriteMemoryStore {
  get(fingerprint: string): Promise<{ key: string; at: number } | undefined>;
  set(fingerprint: string, entry: { key: string; at: number }, ttlMs: number): Promise<void>;
}

export class InMemoryWriteStore implements WriteMemoryStore {
  readonly #entries = new Map<string, { key: string; at: number; expires: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  async get(fingerprint: string) {
    const entry = this.#entries.get(fingerprint);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.#entries.delete(fingerprint);
      return undefined;
    }
    return { key: entry.key, at: entry.at };
  }

  async set(fingerprint: string, entry: { key: string; at: number }, ttlMs: number) {
    // Sweep lazily: bounded work per write keeps memory flat without a timer.
    if (this.#entries.size > 10_000) {
      const now = this.now();
      for (const [k, v] of this.#entries) if (v.expires <= now) this.#entries.delete(k);
    }
    this.#entries.set(fingerprint, { ...entry, expires: this.now() + ttlMs });
  }
}

export class WriteMemory {
  /** Lookups in progress, so two identical writes sent at once agree on one key. */
  readonly #pending = new Map<string, Promise<KeyChoice>>();

  constructor(
    private readonly store: WriteMemoryStore = new InMemoryWriteStore(),
    private readonly windowMs: number = DEFAULT_REPLAY_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The key for this write: the caller's, a remembered one, or a new one (then remembered). */
  async keyFor(fingerprint: string, callerKey?: string): Promise<KeyChoice> {
    if (callerKey) return { key: callerKey, reused: false };
    if (this.windowMs <= 0) return { key: randomUUID(), reused: false };
    const pending = this.#pending.get(fingerprint);
    if (pending) {
      const first = await pending;
      return { key: first.key, reused: true, firstAt: first.firstAt ?? this.now() };
    }
    const choice = this.#choose(fingerprint);
    this.#pending.set(fingerprint, choice);
    try {
      return await choice;
    } finally {
      this.#pending.delete(fingerprint);
    }
  }

  async #choose(fingerprint: string): Promise<KeyChoice> {
    const known = await this.store.get(fingerprint);
    if (known) return { key: known.key, reused: true, firstAt: known.at };
    const key = randomUUID();
    await this.store.set(fingerprint, { key, at: this.now() }, this.windowMs);
    return { key, reused: false };
  }
}
