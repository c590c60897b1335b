/**
 * Routes derived from the catalog: each entry's method + path template is a route, so the
 * sandbox can neither miss an endpoint nor grow one the contract does not have.
 */
import { CATALOG, type Endpoint } from "../platform/catalog.js";
import { badRequest } from "./errors.js";

type Segment = { literal: string } | { param: string };

export interface Route {
  readonly endpoint: Endpoint;
  readonly segments: readonly Segment[];
}

export interface RouteMatch {
  readonly endpoint: Endpoint;
  /** Decoded path parameters, still strings: validation converts them. */
  readonly params: Record<string, string>;
}

export function compileRoutes(endpoints: readonly Endpoint[] = CATALOG): Route[] {
  return endpoints.map((endpoint) => ({
    endpoint,
    segments: endpoint.path
      .split("/")
      .slice(1)
      .map((part) => {
        const param = /^\{(\w+)\}$/.exec(part)?.[1];
        return param ? { param } : { literal: part };
      }),
  }));
}

/**
 * Splits a raw path (no query) into decoded segments. Each segment is decoded on its own, so an
 * encoded slash (`..%2Fwhoami`) stays inside one segment and can never change the route.
 */
export function splitPath(rawPath: string): string[] {
  try {
    return rawPath.split("/").slice(1).map(decodeURIComponent);
  } catch {
    throw badRequest("The request path has a malformed percent-encoding.");
  }
}

export function matchRoute(routes: readonly Route[], method: string, segments: readonly string[]) {
  for (const route of routes) {
    if (route.endpoint.method !== method || route.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = route.segments.every((segment, i) => {
      const actual = segments[i]!;
      if ("literal" in segment) return segment.literal === actual;
      params[segment.param] = actual;
      return true;
    });
    if (matches) return { endpoint: route.endpoint, params } satisfies RouteMatch;
  }
  return undefined;
}
