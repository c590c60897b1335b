/**
 * Per-key budgets for the MCP requests that can reach the platform: a token bucket per API key (a
 * burst, then a steady rate). Keys are limited apart, so one busy chatbot never slows another
 * tenant; the platform's own budget is per installation and is kept by each installation's API
 * client.
 *
 * Two budgets. `requests`: tool calls and reads of platform-backed resources, the work a model
 * asks for. `completions`: `completion/complete`, which clients send keystroke by keystroke while
 * a person types, each a platform search; in the same budget, typing a name would starve the
 * model's tool calls. A cache was considered instead and not chosen: every keystroke is a new
 * search, so an exact cache saves little, and filtering an earlier answer locally would disagree
 * with the platform's search (it also matches national ids and phones). A budget bounds the
 * platform's load whatever the typing pattern. `prompts/get` is not metered: prompts only render
 * their arguments into text and never call the platform.
 */
import type { ServerResponse } from "node:http";
import type { JSONRPCMessage } from "@modelcontextprotocol/server";
import { readsPlatform } from "../resources/index.js";
import { RpcCode, sendRpcError } from "./guards/rpc.js";

export interface RateLimitOptions {
  /** Steady rate: requests per minute per key. */
  perMinute: number;
  /** Requests a key may make at once after being quiet. */
  burst: number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #perMs: number;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(options.perMinute > 0) || !(options.burst >= 1))
      throw new RangeError("rate limit: perMinute > 0 and burst >= 1");
    this.#perMs = options.perMinute / 60_000;
  }

  /**
   * Takes `count` from the key's bucket, all or nothing. A batch larger than the burst is let
   * through from a full bucket (and drains it) rather than being refused forever.
   */
  take(key: string, count = 1): RateDecision {
    const wanted = this.#cost(count);
    const bucket = this.#refilled(key);
    if (bucket.tokens >= wanted) {
      bucket.tokens -= wanted;
      return { ok: true };
    }
    const waitMs = (wanted - bucket.tokens) / this.#perMs;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  /** Gives back what `take(key, count)` took, when the request it was for was refused after all. */
  refund(key: string, count = 1): void {
    const bucket = this.#refilled(key);
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + this.#cost(count));
  }

  /** Drops buckets that have refilled completely (they hold no information). */
  prune(): void {
    const now = this.now();
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.at) * this.#perMs >= this.options.burst) this.#buckets.delete(key);
    }
  }

  #cost(count: number): number {
    return Math.min(count, this.options.burst);
  }

  #refilled(key: string): Bucket {
    const now = this.now();
    const bucket = this.#buckets.get(key) ?? { tokens: this.options.burst, at: now };
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + (now - bucket.at) * this.#perMs);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    return bucket;
  }
}

/** The two budgets every HTTP endpoint charges. */
export interface RequestMeter {
  requests: RateLimiter;
  completions: RateLimiter;
}

export type Metered = { requests: number; completions: number };

/** What a POST body (one message or a batch) costs each budget (pure). */
export function meteredIn(messages: readonly JSONRPCMessage[]): Metered {
  const metered = { requests: 0, completions: 0 };
  for (const m of messages) {
    if (!("method" in m) || !("id" in m)) continue;
    if (m.method === "tools/call") metered.requests++;
    else if (m.method === "resources/read" && readsPlatform(String(m.params?.uri ?? ""))) metered.requests++;
    else if (m.method === "completion/complete") metered.completions++;
  }
  return metered;
}

const REFUSED = {
  requests: "tool calls and resource reads",
  completions: "completions",
} as const;

/**
 * Charges the budgets for a POST body; answers 429 with Retry-After and returns false when either
 * is short (the whole body is refused, and nothing is charged): nothing reaches the server then.
 */
export function admitMetered(
  meter: RequestMeter,
  keyId: string,
  messages: readonly JSONRPCMessage[],
  res: ServerResponse,
  headers: Record<string, string> = {},
): boolean {
  const cost = meteredIn(messages);
  const taken: (keyof Metered)[] = [];
  for (const budget of ["requests", "completions"] as const) {
    if (cost[budget] === 0) continue;
    const decision = meter[budget].take(keyId, cost[budget]);
    if (decision.ok) {
      taken.push(budget);
      continue;
    }
    for (const done of taken) meter[done].refund(keyId, cost[done]);
    const only = messages.length === 1 && "id" in messages[0]! ? (messages[0].id as string | number) : null;
    sendRpcError(
      res,
      429,
      RpcCode.ServerError,
      `Too Many Requests: ${REFUSED[budget]} for this API key are limited; retry after ${decision.retryAfterSeconds} s`,
      { "Retry-After": String(decision.retryAfterSeconds), ...headers },
      only,
    );
    return false;
  }
  return true;
}
