/** Base URL handling and query encoding for requests relative to the platform's base URL. */

export type QueryValue = string | number | boolean | undefined;
export type Query = Record<string, QueryValue>;

export interface BaseUrl {
  /** scheme://host[:port]; the connection pool is bound to it, so no path can reach another host. */
  origin: string;
  /** The base path without a trailing slash, e.g. "/api/apps" (or "" at the root). */
  basePath: string;
}

export function parseBaseUrl(baseUrl: string): BaseUrl {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`Invalid base URL "${baseUrl}": expected an absolute http(s) URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`Invalid base URL "${baseUrl}": the scheme must be http or https`);
  }
  if (url.username || url.password) {
    // Credentials in a URL end up in logs; the token travels in the Authorization header only.
    throw new Error("Invalid base URL: it must not contain credentials");
  }
  if (url.search || url.hash) {
    throw new Error(`Invalid base URL "${baseUrl}": it must not contain a query or fragment`);
  }
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, "") };
}

/**
 * Percent-encodes with encodeURIComponent (space as %20, not "+"), which every server decodes the
 * same way. Undefined values are left out; booleans and numbers become their string form.
 */
export function encodeQuery(query: Query | undefined): string {
  if (!query) return "";
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  }
  return parts.length > 0 ? `?${parts.join("&")}` : "";
}

/**
 * The request target for a path relative to the base URL: base path + path + query.
 * `path` is expected to be filled and encoded already ("/education/students/12").
 */
export function requestTarget(base: BaseUrl, path: string, query?: Query): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith("//")) {
    throw new Error("Request path must be relative to the base URL, not an absolute URL");
  }
  const relative = path.replace(/^\/+/, "");
  return `${base.basePath}/${relative}${encodeQuery(query)}`;
}
