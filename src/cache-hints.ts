/**
 * What a 2026-07-28 client may cache (`ttlMs`, `cacheScope`, SEP-2549). The SDK stamps these on the
 * cacheable results of 2026 requests only; 2025-era responses never carry them.
 *
 * Everything is `private`: the tool, resource and prompt lists follow the caller's grant, and a
 * read returns one school's records, so a shared cache must never hand them to another tenant.
 *
 * The lists change only when the grant is re-read: on the periodic timer (OKTA_WHOAMI_REFRESH_SECONDS,
 * 300 s by default), when a token file changes, or when the platform refuses a scope. Each change
 * sends `list_changed`, which evicts the client's entry at once, but a 2026 client with no listen
 * stream open never hears it. So a list may be held for the re-read interval at most, capped at a
 * minute: such a client then lags the server by no more than that, and re-listing costs no platform
 * request (the lists come from the grant in memory). A read is live platform data: held for 0 ms,
 * so a record read after a write always shows the write.
 */
import type { ServerOptions } from "@modelcontextprotocol/server";

/** The longest a list (or server/discover) may be served from a client's cache. */
export const LIST_TTL_CAP_MS = 60_000;

export type CacheHints = NonNullable<ServerOptions["cacheHints"]>;

/** `grantRereadMs`: how often the grant is re-read on a timer; 0 or absent when it is not. */
export function cacheHintsFor(grantRereadMs: number | undefined): CacheHints {
  const list = {
    ttlMs: grantRereadMs ? Math.min(grantRereadMs, LIST_TTL_CAP_MS) : LIST_TTL_CAP_MS,
    cacheScope: "private",
  } as const;
  return {
    "tools/list": list,
    "resources/list": list,
    "resources/templates/list": list,
    "prompts/list": list,
    // The instructions say whether this is the sandbox; they change with the installation only.
    "server/discover": list,
    "resources/read": { ttlMs: 0, cacheScope: "private" },
  };
}
