/**
 * Tool calls per API key: a token bucket (a burst, then a steady rate). Keys are limited apart, so
 * one busy chatbot never slows another tenant; the platform's own budget is per installation and
 * is kept by each installation's API client.
 */
import type { ServerResponse } from "node:http";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { RpcCode, sendRpcError } from "./guards.js";

export interface RateLimitOptions {
  /** Steady rate: calls per minute per key. */
  perMinute: number;
  /** Calls a key may make at once after being quiet. */
  burst: number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class ToolCallLimiter {
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
   * Takes `count` calls from the key's bucket, all or nothing. A batch larger than the burst is let
   * through from a full bucket (and drains it) rather than being refused forever.
   */
  take(key: string, calls = 1): RateDecision {
    const count = Math.min(calls, this.options.burst);
    const now = this.now();
    const bucket = this.#buckets.get(key) ?? { tokens: this.options.burst, at: now };
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + (now - bucket.at) * this.#perMs);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= count) {
      bucket.tokens -= count;
      return { ok: true };
    }
    const waitMs = (count - bucket.tokens) / this.#perMs;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  /** Drops buckets that have refilled completely (they hold no information). */
  prune(): void {
    const now = this.now();
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.at) * this.#perMs >= this.options.burst) this.#buckets.delete(key);
    }
  }
}

/** Tool calls in a POST body (one message or a batch). */
export function toolCallsIn(messages: readonly JSONRPCMessage[]): number {
  return messages.filter((m) => "method" in m && "id" in m && m.method === "tools/call").length;
}

/**
 * Answers 429 with Retry-After and returns false when the key has no calls left; nothing reaches
 * the server then. Messages without tool calls always pass.
 */
export function admitToolCalls(
  limiter: ToolCallLimiter,
  keyId: string,
  messages: readonly JSONRPCMessage[],
  res: ServerResponse,
  headers: Record<string, string> = {},
): boolean {
  const calls = toolCallsIn(messages);
  if (calls === 0) return true;
  const decision = limiter.take(keyId, calls);
  if (decision.ok) return true;
  const only = messages.length === 1 && "id" in messages[0]! ? (messages[0].id as string | number) : null;
  sendRpcError(
    res,
    429,
    RpcCode.ServerError,
    `Too Many Requests: tool calls for this API key are limited; retry after ${decision.retryAfterSeconds} s`,
    { "Retry-After": String(decision.retryAfterSeconds), ...headers },
    only,
  );
  return false;
}
