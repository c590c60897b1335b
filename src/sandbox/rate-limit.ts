/**
 * A fixed-window rate limit per installation. Every answer carries the budget headers, so the
 * limiter reports a state for every request, including refused ones.
 */

export interface RateLimitOptions {
  /** Requests per window; 0 or Infinity turns the limit off. */
  limit: number;
  windowMs?: number;
}

export interface RateState {
  limit: number;
  remaining: number;
  /** Set when this request is over the limit. */
  retryAfterSeconds?: number;
}

export const DEFAULT_RATE_LIMIT: Required<RateLimitOptions> = { limit: 1000, windowMs: 60_000 };

/** What the headers say when the limit is off: a large finite number parses everywhere. */
const UNLIMITED = 1_000_000_000;

export class FixedWindowRateLimiter {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(
    options: RateLimitOptions = DEFAULT_RATE_LIMIT,
    private readonly clock: () => number = Date.now,
  ) {
    if (!(options.limit >= 0)) throw new RangeError("rateLimit.limit must be 0 (off) or more");
    this.limit = options.limit === 0 ? Number.POSITIVE_INFINITY : options.limit;
    this.windowMs = options.windowMs ?? DEFAULT_RATE_LIMIT.windowMs;
    if (!(this.windowMs > 0)) throw new RangeError("rateLimit.windowMs must be positive");
  }

  hit(key: string): RateState {
    if (this.limit === Number.POSITIVE_INFINITY) return { limit: UNLIMITED, remaining: UNLIMITED };
    const now = this.clock();
    let window = this.windows.get(key);
    if (!window || now - window.startedAt >= this.windowMs) {
      window = { startedAt: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    const remaining = Math.max(0, this.limit - window.count);
    if (window.count <= this.limit) return { limit: this.limit, remaining };
    const retryAfterSeconds = Math.max(1, Math.ceil((window.startedAt + this.windowMs - now) / 1000));
    return { limit: this.limit, remaining: 0, retryAfterSeconds };
  }
}
