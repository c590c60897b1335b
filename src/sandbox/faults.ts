/**
 * Fault injection, to prove the client's retries and idempotency hold up:
 * - random faults, each a share of requests, from a seeded PRNG so a run can be replayed;
 * - a scripted queue for exact tests, each fault consumed by the first request it matches.
 */
import { mulberry32, type Rng, seedFrom } from "./random.js";

export interface RandomFaults {
  /** Share (0..1) of POST/PATCH answered 503 before anything is applied. */
  failBeforeWrite?: number;
  /** Share of POST/PATCH whose write is applied and kept for its idempotency key, then the socket is destroyed. */
  dropAfterWrite?: number;
  /** Share of all requests answered 429 with Retry-After. */
  rateLimited?: number;
  retryAfterSeconds?: number;
  /** Added to every response. */
  latencyMs?: number;
  seed?: number;
}

export type FaultKind = "503" | "drop" | "429" | "delay";

export interface ScriptedFault {
  kind: FaultKind;
  match?: { method?: string; tool?: string };
  retryAfterSeconds?: number;
  delayMs?: number;
}

export interface ChosenFault {
  kind: FaultKind;
  retryAfterSeconds: number;
  delayMs: number;
}

const isWriteMethod = (method: string) => method === "POST" || method === "PATCH";

export class FaultInjector {
  private readonly queue: ScriptedFault[] = [];
  /** One stream per fault, so enabling one fault does not reshuffle another's sequence. */
  private readonly rngs: Record<"failBeforeWrite" | "dropAfterWrite" | "rateLimited", Rng>;
  readonly latencyMs: number;
  private readonly retryAfterSeconds: number;

  constructor(private readonly random: RandomFaults = {}) {
    for (const name of ["failBeforeWrite", "dropAfterWrite", "rateLimited"] as const) {
      const share = random[name];
      if (share !== undefined && !(share >= 0 && share <= 1)) {
        throw new RangeError(`faults.${name} must be a share between 0 and 1, got ${share}`);
      }
    }
    this.latencyMs = Math.max(0, random.latencyMs ?? 0);
    this.retryAfterSeconds = Math.max(0, random.retryAfterSeconds ?? 1);
    const seed = random.seed ?? 1;
    this.rngs = {
      failBeforeWrite: mulberry32(seedFrom("failBeforeWrite", seed)),
      dropAfterWrite: mulberry32(seedFrom("dropAfterWrite", seed)),
      rateLimited: mulberry32(seedFrom("rateLimited", seed)),
    };
  }

  inject(...faults: ScriptedFault[]): void {
    this.queue.push(...faults);
  }

  get pending(): number {
    return this.queue.length;
  }

  /**
   * The fault for a request about to be handled, if any: a scripted one first, else a random
   * 429 (any request) or 503 (writes only). Drops are decided later, by `dropAfterWrite`.
   */
  take(method: string, tool: string | undefined): ChosenFault | undefined {
    const index = this.queue.findIndex(
      (f) =>
        (f.match?.method === undefined || f.match.method.toUpperCase() === method) &&
        (f.match?.tool === undefined || f.match.tool === tool),
    );
    if (index !== -1) {
      const [fault] = this.queue.splice(index, 1);
      return {
        kind: fault!.kind,
        retryAfterSeconds: fault!.retryAfterSeconds ?? this.retryAfterSeconds,
        delayMs: fault!.delayMs ?? 0,
      };
    }
    if (this.roll("rateLimited")) {
      return { kind: "429", retryAfterSeconds: this.retryAfterSeconds, delayMs: 0 };
    }
    if (isWriteMethod(method) && this.roll("failBeforeWrite")) {
      return { kind: "503", retryAfterSeconds: this.retryAfterSeconds, delayMs: 0 };
    }
    return undefined;
  }

  /** Whether to drop the answer of a write that was just applied. */
  dropAfterWrite(method: string): boolean {
    return isWriteMethod(method) && this.roll("dropAfterWrite");
  }

  private roll(fault: keyof FaultInjector["rngs"]): boolean {
    const share = this.random[fault];
    return share !== undefined && share > 0 && this.rngs[fault]() < share;
  }
}
