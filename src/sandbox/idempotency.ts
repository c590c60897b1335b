/**
 * Idempotency keys as the contract describes them: per installation, the first response to a key
 * is kept for 24 hours and replayed to a repeat of the same request; the same key with another
 * request, or while the first is still in flight, is a conflict.
 *
 * Only successful (2xx) responses are kept. A request refused before it changed anything
 * (validation, unknown id, an injected 503) leaves the key free, so the caller can fix the request
 * and retry with the same key, which is what a retrying client does.
 */
import { createHash } from "node:crypto";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface StoredResponse {
  status: number;
  body: unknown;
}

type Entry =
  | { state: "in_flight"; fingerprint: string }
  | { state: "done"; fingerprint: string; response: StoredResponse; expiresAt: number };

export interface Reservation {
  /** Keeps the response for replays and ends the in-flight state. */
  complete(response: StoredResponse): void;
  /** Frees the key: the request was refused and changed nothing. */
  release(): void;
}

export type Begin =
  | { kind: "replay"; response: StoredResponse }
  | { kind: "conflict"; reason: "in_flight" | "different_request" }
  | { kind: "started"; reservation: Reservation };

/** What makes two requests "the same": method, path and the body's JSON value (not its spacing). */
export function fingerprint(method: string, path: string, body: unknown): string {
  return createHash("sha256")
    .update(`${method} ${path}\n${canonicalJson(body)}`)
    .digest("hex");
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are the same body. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  private writesSinceSweep = 0;

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly ttlMs = IDEMPOTENCY_TTL_MS,
  ) {}

  begin(installationKey: string, key: string, requestFingerprint: string): Begin {
    const id = `${installationKey}\u0000${key}`;
    const entry = this.entries.get(id);
    if (entry?.state === "done" && entry.expiresAt <= this.clock()) this.entries.delete(id);
    const current = this.entries.get(id);
    if (current) {
      if (current.fingerprint !== requestFingerprint)
        return { kind: "conflict", reason: "different_request" };
      if (current.state === "in_flight") return { kind: "conflict", reason: "in_flight" };
      return { kind: "replay", response: structuredClone(current.response) };
    }

    this.entries.set(id, { state: "in_flight", fingerprint: requestFingerprint });
    let settled = false;
    return {
      kind: "started",
      reservation: {
        complete: (response) => {
          if (settled) return;
          settled = true;
          this.entries.set(id, {
            state: "done",
            fingerprint: requestFingerprint,
            response: structuredClone(response),
            expiresAt: this.clock() + this.ttlMs,
          });
          this.sweepSometimes();
        },
        release: () => {
          if (settled) return;
          settled = true;
          this.entries.delete(id);
        },
      },
    };
  }

  get size(): number {
    return this.entries.size;
  }

  /** Expired entries go in bulk now and then, so memory stays bounded without a timer. */
  private sweepSometimes(): void {
    if (++this.writesSinceSweep < 1000) return;
    this.writesSinceSweep = 0;
    const now = this.clock();
    for (const [id, entry] of this.entries) {
      if (entry.state === "done" && entry.expiresAt <= now) this.entries.delete(id);
    }
  }
}
