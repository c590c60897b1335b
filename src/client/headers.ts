/** Reading response headers, tolerant of undici's `string | string[]` values and of `Headers`. */

export type HeaderBag =
  | Record<string, string | string[] | undefined>
  | { get(name: string): string | null }
  | undefined;

/** The first value of a header, case-insensitively; undefined when absent or empty. */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  if (!headers) return undefined;
  let raw: string | string[] | null | undefined;
  if (typeof (headers as { get?: unknown }).get === "function") {
    raw = (headers as { get(name: string): string | null }).get(name);
  } else {
    const bag = headers as Record<string, string | string[] | undefined>;
    const wanted = name.toLowerCase();
    // undici names every header in lower case: found at once. Other bags are searched, without
    // copying their keys (three lookups per platform answer).
    raw = bag[wanted];
    if (raw === undefined) {
      for (const key in bag) {
        if (key.length === wanted.length && key.toLowerCase() === wanted) {
          raw = bag[key];
          break;
        }
      }
    }
  }
  const value = Array.isArray(raw) ? raw[0] : raw;
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
}

function nonNegativeInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** `X-RateLimit-Limit` / `X-RateLimit-Remaining`, which the contract puts on every response. */
export function parseRateLimit(headers: HeaderBag): RateLimitInfo {
  const info: RateLimitInfo = {};
  const limit = nonNegativeInt(headerValue(headers, "x-ratelimit-limit"));
  const remaining = nonNegativeInt(headerValue(headers, "x-ratelimit-remaining"));
  if (limit !== undefined) info.limit = limit;
  if (remaining !== undefined) info.remaining = remaining;
  return info;
}
