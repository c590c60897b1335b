/**
 * Resources: the installation (okta://whoami), the scope table (okta://scopes), the report
 * catalog (okta://reports), stored report runs (okta://reports/runs/{id}), records by id
 * (okta://students/{id}, ...) and the event feed (okta://events/recent). Each mirrors the tools
 * whose data it shows and is listed, read and completed only while they are served (granted
 * scopes, then --read-only, then --toolsets); whoami, scopes and the feed always are. Clients may
 * subscribe to the feed, whoami, scopes and records.
 */

import type { McpServer, ReadResourceResult, Variables } from "@modelcontextprotocol/server";
import { ProtocolError, ResourceTemplate, UriTemplate } from "@modelcontextprotocol/server";
import {
  showsViews,
  VIEW_MIME_TYPE,
  VIEW_UI_META,
  VIEWS,
  viewContents,
  viewDocument,
} from "../apps/views.js";
import { ApiError, ScopeNotGrantedError } from "../client/errors.js";
import { clientCapabilitiesOf } from "../client-capabilities.js";
import {
  followsServedTools,
  servedScopes,
  servedToolNames,
  type ToolFilterOptions,
} from "../grant/served.js";
import type { Installation } from "../installation.js";
import {
  endpointOf,
  fillPath,
  RECORD_KINDS,
  type RecordKind,
  type ToolName,
  toolsByScope,
} from "../platform/catalog.js";
import { listEnvelope, recordEnvelope } from "../platform/envelopes.js";
import { SCOPES, type Scope } from "../platform/scopes.js";
import { isRunId } from "../store/report-runs.js";
import { cleanText, sanitize } from "../text/clean.js";
import { quoted } from "../tools/errors.js";
import { weakMemo } from "../weak-memo.js";
import { invalidParams, notFound, readErrorOf } from "./errors.js";
import { EVENTS_URI, eventFeed, followEvents } from "./events.js";
import { Subscriptions, subscriptionRefusal } from "./subscriptions.js";

/** The resources that show the grant: a scope change updates both. */
export const GRANT_URIS = ["okta://whoami", "okta://scopes"] as const;

const SANDBOX_NOTE = "SANDBOX: demo data of a fictional school, not a real tenant.";

/** Every resource's text: platform text cleaned of invisible characters wherever it reaches a model. */
function json(uri: string, value: unknown): ReadResourceResult {
  return { contents: [{ uri, mimeType: "application/json", text: JSON.stringify(sanitize(value)) }] };
}

/** The scope table: all 14, marked granted or not, with the tools each unlocks (pure). */
export function scopeTable(granted: readonly string[]) {
  const tools = toolsByScope();
  return (Object.entries(SCOPES) as [Scope, string][]).map(([scope, description]) => ({
    scope,
    description,
    granted: granted.includes(scope),
    tools: tools.get(scope) ?? [],
  }));
}

/**
 * Whether reading `uri` can cause a platform request (the HTTP layer meters those per key). Only
 * the resources listed here never reach the platform (served from memory, or report runs from
 * the shared store with REDIS_URL); any other, a new one included, counts.
 */
export function readsPlatform(uri: string): boolean {
  return (
    !["okta://scopes", EVENTS_URI].includes(uri) &&
    !uri.startsWith("okta://reports/runs/") &&
    !uri.startsWith("ui://")
  );
}

const MAX_COMPLETIONS = 20;

/** Completes a record id from a name fragment (or an id prefix) with the list endpoint's search. */
async function completeIds(installation: Installation, kind: RecordKind, typed: string): Promise<string[]> {
  const search = typed.trim();
  const res = await installation.client.request({
    method: "GET",
    path: kind.listPath,
    query: { per_page: MAX_COMPLETIONS, ...(search && !/^\d+$/.test(search) ? { search } : {}) },
    expect: listEnvelope(endpointOf(kind.tool).record),
  });
  const ids = res.body.data.map((r) => String(r.id));
  return /^\d+$/.test(search) ? ids.filter((id) => id.startsWith(search)) : ids;
}

interface ServedResource {
  name: string;
  /** The fixed URI, or the template's (okta://students/{id}). */
  uri: string;
  template?: UriTemplate;
  /** The tools whose data it shows: it is served exactly when every one of them is. */
  mirrors: readonly ToolName[];
  metadata: { title: string; description: string; mimeType: string; _meta?: Record<string, unknown> };
  /** An MCP Apps view: listed only to hosts that render views (read by any). */
  view?: boolean;
  read(uri: string, variables: Variables): Promise<ReadResourceResult>;
}

type Completers = Record<string, (typed: string) => Promise<string[]>>;

/** Why a resource is not served: a scope not granted, or the operator's flags (pure). */
export function notServedMessage(
  uri: string,
  mirrors: readonly ToolName[],
  granted: readonly string[],
): string {
  const tools = mirrors.join(" and ");
  const missing = [...new Set(mirrors.map((tool) => endpointOf(tool).scope))].filter(
    (scope): scope is Scope => !!scope && !granted.includes(scope),
  );
  return missing.length > 0
    ? `${uri} is not served here: it needs scope ${missing.map((s) => `"${s}"`).join(" and ")} (for ${tools}), which is not granted to this installation. okta://scopes shows the grant.`
    : `${uri} is not served here: this server's --read-only / --toolsets leave out ${tools}, which it mirrors.`;
}

/** A resource as defined for an installation: its reader and completers close over it. */
interface DefinedResource extends ServedResource {
  completers: Completers;
}

/**
 * The resources of one installation, built once and shared by every server made for it (a 2026
 * request, and a stateless 2025 one, gets a new server; templates parse their URI once here).
 * The event feed is not among them: what it shows depends on the server's tool filter.
 */
const definedResources = weakMemo((installation: Installation): DefinedResource[] => {
  const defined: DefinedResource[] = [];
  const add = (resource: Omit<ServedResource, "template">, completers: Completers = {}) => {
    const template = resource.uri.includes("{") ? new UriTemplate(resource.uri) : undefined;
    defined.push({ ...resource, ...(template ? { template } : {}), completers });
  };
  const sandboxed = installation.sandbox;
  const note = sandboxed ? { note: SANDBOX_NOTE } : {};

  add({
    name: "whoami",
    uri: "okta://whoami",
    mirrors: [],
    metadata: {
      title: "This installation",
      description: "Tenant (school) id, app and granted scopes of the installation this server acts for.",
      mimeType: "application/json",
    },
    read: async (uri) => {
      const who = await installation.refreshWhoami();
      return json(uri, { ...who, ...(sandboxed ? { sandbox: true, note: SANDBOX_NOTE } : {}) });
    },
  });

  add({
    name: "scopes",
    uri: "okta://scopes",
    mirrors: [],
    metadata: {
      title: "Scopes",
      description:
        "All 14 platform scopes: what each grants, whether it is granted here, the tools it unlocks.",
      mimeType: "application/json",
    },
    read: async (uri) => json(uri, { ...note, scopes: scopeTable(installation.whoami.scopes) }),
  });

  add({
    name: "reports",
    uri: "okta://reports",
    mirrors: ["list_reports"],
    metadata: {
      title: "Report catalog",
      description: "Reports that run_report can run, with each report's parameters.",
      mimeType: "application/json",
    },
    read: async (uri) => json(uri, { ...note, reports: await installation.reportCatalog() }),
  });

  add({
    name: "report-run",
    uri: "okta://reports/runs/{id}",
    mirrors: ["run_report"],
    metadata: {
      title: "Report run",
      description: "The full result of a run_report call (all rows), by the id run_report returned.",
      mimeType: "application/json",
    },
    read: async (uri, variables) => {
      const id = String(variables.id);
      // The id is the client's: one that is not a run id is not looked up at all.
      if (!isRunId(id))
        throw notFound(uri, `No stored report run ${quoted(id)}: a run id is the UUID run_report returns.`);
      const runs = installation.reportRuns;
      const run = await runs.get(id);
      if (!run) throw notFound(uri, `No stored report run ${id} here. ${runs.kept} Call run_report again.`);
      return json(uri, run);
    },
  });

  add(
    {
      name: "report",
      uri: "okta://reports/{key}",
      mirrors: ["list_reports"],
      metadata: {
        title: "A report",
        description: "One report of the catalog by key: what it computes and its parameters.",
        mimeType: "application/json",
      },
      read: async (uri, variables) => {
        const key = String(variables.key);
        const report = (await installation.reportCatalog()).find((r) => r.key === key);
        if (!report)
          throw notFound(uri, `No report "${key}" in the catalog; read okta://reports for the keys.`);
        return json(uri, report);
      },
    },
    // Report keys complete from the catalog, so a client can offer them as the user types.
    {
      key: async (typed) =>
        (await installation.reportCatalog().catch(() => []))
          .map((r) => r.key)
          .filter((key) => key.startsWith(typed)),
    },
  );

  for (const t of RECORD_KINDS) {
    add(
      {
        name: t.name,
        uri: `okta://${t.collection}/{id}`,
        mirrors: [t.tool],
        metadata: {
          title: `${/^[aeiou]/i.test(t.name) ? "An" : "A"} ${t.name}`,
          description: `One ${t.name} by id; the id completes from a name.`,
          mimeType: "application/json",
        },
        read: async (uri, variables) => {
          const id = String(variables.id);
          if (!/^[1-9]\d{0,9}$/.test(id))
            throw invalidParams(`Invalid ${t.name} id "${id}" in ${uri}: must be a positive integer`);
          const res = await installation.client.request({
            method: "GET",
            path: fillPath(t.getPath, { id }),
            expect: recordEnvelope(endpointOf(t.tool).record),
          });
          return json(uri, res.body.data);
        },
      },
      { id: (typed) => completeIds(installation, t, typed).catch(() => []) },
    );
  }

  return defined;
});

export class Resources {
  readonly #all: ServedResource[] = [];
  /** Names of the resources served under the current grant and filters. */
  #served = new Set<string>();
  readonly subscriptions: Subscriptions;
  /** Stops following the installation's events (when the session ends). */
  readonly stopFollowing: () => void;

  /**
   * `follow: false`: the server lives for one request (2026 HTTP) and hears no events; the
   * installation's follower announces them instead. `modern`: a 2026-07-28 connection (stdio).
   */
  constructor(
    private readonly mcp: McpServer,
    private readonly installation: Installation,
    private readonly options: {
      eventFeed?: boolean;
      follow?: boolean;
      modern?: boolean;
    } & ToolFilterOptions = {},
  ) {
    this.subscriptions = new Subscriptions(
      mcp.server,
      options.eventFeed ?? false,
      (uri) => this.#notServedError(uri),
      options.modern ?? false,
    );
    // Events about records whose tools are not served are hidden, like the records themselves.
    const visibleScopes = () => servedScopes(installation.whoami.scopes, options);
    this.stopFollowing =
      options.eventFeed && options.follow !== false
        ? followEvents(installation, this.subscriptions, visibleScopes)
        : () => {};
    if (options.eventFeed) this.#add({ ...eventFeed(installation, visibleScopes), mirrors: [] });

    for (const resource of definedResources(installation)) this.#add(resource, resource.completers);

    for (const view of Object.values(VIEWS)) {
      this.#add({
        name: `view-${view.file.replace(/\.html$/, "")}`,
        uri: view.uri,
        mirrors: [view.tool],
        view: true,
        metadata: {
          title: view.title,
          description: view.description,
          mimeType: VIEW_MIME_TYPE,
          _meta: { ui: VIEW_UI_META },
        },
        read: async (uri) => {
          const html = await viewDocument(view);
          if (html === undefined)
            throw notFound(
              uri,
              `The view ${uri} is not built here: run npm run build (it writes dist/views/).`,
            );
          return viewContents(view, html);
        },
      });
    }

    this.#served = this.#servedUnder(installation.whoami.scopes);
    this.#handleRequests();
  }

  /**
   * A template is registered with the SDK too, only because its completion/complete handler
   * (shared with the prompts) finds templates there; a completion for a resource not served is
   * refused before it reaches the platform. Listing and reading are ours (#handleRequests): the
   * SDK lists and reads templates whatever their `enabled`, and answers a missing resource with
   * the wrong code.
   */
  #add(resource: ServedResource, completers: Completers = {}) {
    this.#all.push(resource);
    if (!resource.template) return;
    const complete = Object.fromEntries(
      Object.entries(completers).map(([argument, fn]) => [
        argument,
        async (typed: string) => {
          if (!this.#served.has(resource.name)) throw invalidParams(this.#notServed(resource));
          // A token rotated to another tenant is refused here too (TenantMismatchError).
          await this.installation.assertServing();
          return (await fn(typed)).map(cleanText);
        },
      ]),
    );
    const template = new ResourceTemplate(resource.template, { list: undefined, complete });
    this.mcp.registerResource(resource.name, template, resource.metadata, (uri, variables) =>
      resource.read(uri.href, variables),
    );
  }

  #notServed(resource: ServedResource, uri = resource.uri): string {
    return notServedMessage(uri, resource.mirrors, this.installation.whoami.scopes);
  }

  #servedUnder(scopes: readonly string[]): Set<string> {
    const tools = servedToolNames(scopes, this.options);
    return new Set(this.#all.filter((r) => followsServedTools(r.mirrors, tools)).map((r) => r.name));
  }

  #handleRequests() {
    const server = this.mcp.server;
    const served = () => this.#all.filter((r) => this.#served.has(r.name));
    // Views are listed only to hosts that render them: any other host's list is as without views.
    server.setRequestHandler("resources/list", (_request, ctx) => {
      const views = showsViews(clientCapabilitiesOf(server, ctx));
      return {
        resources: served()
          .filter((r) => !r.template && (views || !r.view))
          .map((r) => ({ uri: r.uri, name: r.name, ...r.metadata })),
      };
    });
    server.setRequestHandler("resources/templates/list", () => ({
      resourceTemplates: served()
        .filter((r) => r.template)
        .map((r) => ({ uriTemplate: r.uri, name: r.name, ...r.metadata })),
    }));
    server.setRequestHandler("resources/read", (request) => this.#read(request.params.uri));
  }

  /** Why `uri` may not be subscribed to here (not subscribable, or not served), if it may not. */
  subscriptionRefusal(uri: string): Error | undefined {
    return subscriptionRefusal(uri, this.options.eventFeed ?? false, (u) => this.#notServedError(u));
  }

  #notServedError(uri: string): ProtocolError | undefined {
    const found = this.#lookup(uri);
    return found instanceof ProtocolError ? found : undefined;
  }

  /** The served resource `uri` names and its variables, or the error saying why there is none. */
  #lookup(uri: string): { resource: ServedResource; variables: Variables } | ProtocolError {
    // A fixed URI first: okta://reports is not a report key.
    const fixed = this.#all.find((r) => !r.template && r.uri === uri);
    const found = fixed
      ? { resource: fixed, variables: {} }
      : this.#all
          .map((resource) => ({ resource, variables: resource.template?.match(uri) }))
          .find((m): m is { resource: ServedResource; variables: Variables } => !!m.variables);
    if (!found)
      return notFound(
        uri,
        `Unknown resource ${uri}; resources/list and resources/templates/list name those served here.`,
      );
    if (!this.#served.has(found.resource.name)) return notFound(uri, this.#notServed(found.resource, uri));
    return found;
  }

  async #read(uri: string): Promise<ReadResourceResult> {
    const found = this.#lookup(uri);
    if (found instanceof ProtocolError) throw found;
    const { resource, variables } = found;
    try {
      // A token rotated to another tenant is refused before anything is read (TenantMismatchError).
      await this.installation.assertServing();
      return await resource.read(uri, variables);
    } catch (error) {
      // The grant changed under us (a scope withdrawn): re-read whoami so the resources follow.
      if (error instanceof ScopeNotGrantedError) this.installation.noteScopeDenied();
      if (!(error instanceof ApiError || error instanceof ProtocolError)) {
        this.installation.options.logger.error({ uri, err: error }, "resource read failed unexpectedly");
      }
      throw readErrorOf(error, uri, endpointOf(resource.mirrors[0] ?? "whoami"));
    }
  }

  /**
   * Re-filters after a scope change; a client hears resources/list_changed when the set changed.
   * Returns whether it did.
   */
  updateScopes(scopes: readonly string[]): boolean {
    const before = [...this.#served].join(",");
    this.#served = this.#servedUnder(scopes);
    const changed = before !== [...this.#served].join(",");
    if (changed && this.mcp.isConnected()) {
      void this.mcp.server.sendResourceListChanged().catch(() => {});
    }
    // Both show the grant: a client that subscribed hears that it changed.
    for (const uri of GRANT_URIS) this.subscriptions.notify(uri);
    return changed;
  }
}
