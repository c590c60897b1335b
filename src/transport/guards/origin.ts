/**
 * Who may reach MCP at all, before any key is looked at: Host and Origin allow-lists (against DNS
 * rebinding and drive-by browser pages), and the CORS headers a browser on an allowed origin needs.
 * Pure functions.
 */

/** Loopback names accepted in Host and Origin by default, with any port. */
export const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"] as const;

/** Splits a Host header value into its lower-case name (IPv6 keeps its brackets) and port. */
export function splitHost(value: string): { name: string; port?: string } | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]\s/@]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!m) return undefined;
  return { name: m[1]!.toLowerCase(), port: m[2] };
}

/**
 * Whether a Host header names this server. Entries of `allowed` are a name (any port) or
 * `name:port` (that port only); `*` turns the check off (for a proxy that checks Host itself).
 */
export function isHostAllowed(host: string | undefined, allowed: readonly string[]): boolean {
  if (allowed.includes("*")) return true;
  if (!host) return false;
  const parsed = splitHost(host);
  if (!parsed) return false;
  if ((LOOPBACK_HOSTS as readonly string[]).includes(parsed.name)) return true;
  return allowed.some((entry) => {
    const e = splitHost(entry);
    if (!e) return false;
    return e.name === parsed.name && (e.port === undefined || e.port === parsed.port);
  });
}

/** Normalises an origin (`https://App.example.com:443/` -> `https://app.example.com`), or undefined. */
export function normaliseOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/**
 * Whether an Origin header may call. No Origin (a server-side client) is fine; a browser page on a
 * loopback name (any port) is fine; anything else must be listed in `allowed` (exact origins, or
 * `*`). `Origin: null` (sandboxed frames, file://) is refused unless `*`.
 */
export function isOriginAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes("*")) return true;
  const normalised = normaliseOrigin(origin);
  if (!normalised) return false;
  const hostname = new URL(normalised).hostname.toLowerCase();
  if ((LOOPBACK_HOSTS as readonly string[]).includes(hostname)) return true;
  return allowed.some((entry) => normaliseOrigin(entry) === normalised);
}

/** Headers a browser on an allowed origin needs to talk to /mcp (the server-side clients ignore them). */
export function corsHeaders(origin: string | undefined): Record<string, string> {
  if (!origin) return {};
  return {
    "Access-Control-Allow-Origin": origin,
    Vary: "Origin",
    "Access-Control-Expose-Headers": "Mcp-Session-Id, WWW-Authenticate, Retry-After",
  };
}

/** Preflight answer. Mcp-Method and Mcp-Name: a 2026-07-28 client sends them on every request POST. */
export function preflightHeaders(origin: string): Record<string, string> {
  return {
    ...corsHeaders(origin),
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Allow-Headers":
      "Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID",
    "Access-Control-Max-Age": "600",
  };
}
