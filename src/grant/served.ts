/**
 * Which tools an installation gets: a pure function of the catalog, the granted scopes and the
 * operator's options. The order is fixed here and only here: scope, then read-only, then toolsets.
 */

import { CATALOG, type Endpoint, type ToolName } from "../platform/catalog.js";
import { type Scope, type Toolset, toolsetOfScope } from "../platform/scopes.js";
import { weakMemo } from "../weak-memo.js";

export interface ToolFilterOptions {
  /** Serve only tools that change nothing (`--read-only`). */
  readOnly?: boolean;
  /** Serve only these groups (`--toolsets`); `identity` (whoami) is always served. */
  toolsets?: readonly Toolset[];
}

function isReadOnlyEndpoint(endpoint: Endpoint): boolean {
  return endpoint.kind === "read" || endpoint.kind === "run";
}

export function grantedEndpoints(
  grantedScopes: readonly string[],
  options: ToolFilterOptions = {},
): readonly Endpoint[] {
  // A server is made per request on some paths and each asks this: the answer is kept per
  // scopes array (whoami's, replaced when the grant changes) and filter, frozen.
  const byFilter = byScopes(grantedScopes);
  const key = `${options.readOnly === true}|${options.toolsets?.join(",") ?? "*"}`;
  let endpoints = byFilter.get(key);
  if (!endpoints) {
    endpoints = Object.freeze(filterEndpoints(grantedScopes, options));
    byFilter.set(key, endpoints);
  }
  return endpoints;
}

/** The selections made under one scopes array (whoami's), by filter. */
const byScopes = weakMemo((_scopes: readonly string[]) => new Map<string, readonly Endpoint[]>());

function filterEndpoints(grantedScopes: readonly string[], options: ToolFilterOptions): Endpoint[] {
  const scopes = new Set(grantedScopes);
  return CATALOG.filter((e) => e.scope === null || scopes.has(e.scope))
    .filter((e) => !options.readOnly || isReadOnlyEndpoint(e))
    .filter((e) => {
      if (!options.toolsets || e.scope === null) return true;
      return options.toolsets.includes(toolsetOfScope(e.scope as Scope));
    });
}

/** The names of the tools `grantedEndpoints` serves. */
export function servedToolNames(
  grantedScopes: readonly string[],
  options: ToolFilterOptions = {},
): ReadonlySet<ToolName> {
  return namesOf(grantedEndpoints(grantedScopes, options));
}

const namesOf = weakMemo(
  (endpoints: readonly Endpoint[]): ReadonlySet<ToolName> => new Set(endpoints.map((e) => e.tool)),
);

/**
 * The granted scopes some served tool still uses: what the event feed may show, so an event about
 * records whose tools --toolsets leaves out is hidden like one about records not granted.
 */
export function servedScopes(grantedScopes: readonly string[], options: ToolFilterOptions = {}): string[] {
  return [...new Set(grantedEndpoints(grantedScopes, options).flatMap((e) => (e.scope ? [e.scope] : [])))];
}

/**
 * Resources and prompts follow the tools instead of having filters of their own: each names the
 * tools whose data it shows (or whose steps it describes) and is served exactly when every one of
 * them is. One that names none (okta://whoami, okta://scopes) is always served.
 */
export function followsServedTools(tools: readonly ToolName[], served: ReadonlySet<ToolName>): boolean {
  return tools.every((tool) => served.has(tool));
}
