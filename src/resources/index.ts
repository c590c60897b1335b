/**
 * Resources: the installation (okta://whoami), the scope table (okta://scopes), the report
 * catalog (okta://reports), stored report runs (okta://reports/runs/{id}), records by id
 * (okta://students/{id}, ...), each shown only when the installation holds its scope, and the
 * event feed (okta://events/recent). Clients may subscribe to the feed, whoami, scopes and records.
 */
import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import type { Installation } from "../installation.js";
import { fillPath, RECORD_KINDS, toolsByScope } from "../platform/catalog.js";
import { SCOPES, type Scope } from "../platform/scopes.js";
import { cleanText, sanitize } from "../text/clean.js";
import { registerEventFeed } from "./events.js";
import { Subscriptions } from "./subscriptions.js";

const SANDBOX_NOTE = "SANDBOX: demo data of a fictional school, not a real tenant.";

function json(uri: string, value: unknown): ReadResourceResult {
  return { contents: [{ uri, mimeType: "application/json", text: JSON.stringify(value) }] };
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

const MAX_COMPLETIONS = 20;

/**
 * Completes a record id from a name fragment (or an id prefix) with the list endpoint's search.
 * A failed search completes nothing, but a refused installation says so (assertServing).
 */
async function completeIds(installation: Installation, path: string, typed: string): Promise<string[]> {
  await installation.assertServing();
  const search = typed.trim();
  try {
    const res = await installation.client.request<{ data: Array<{ id: number }> }>({
      method: "GET",
      path,
      query: { per_page: MAX_COMPLETIONS, ...(search && !/^\d+$/.test(search) ? { search } : {}) },
    });
    const ids = (res.body?.data ?? []).map((r) => String(r.id));
    return /^\d+$/.test(search) ? ids.filter((id) => id.startsWith(search)) : ids;
  } catch {
    return [];
  }
}

export class Resources {
  readonly #scoped: Array<{ scope: Scope; handle: { enable(): void; disable(): void } }> = [];
  readonly subscriptions: Subscriptions;
  /** Stops following the installation's events (when the session ends). */
  readonly stopFollowing: () => void;

  constructor(mcp: McpServer, installation: Installation, options: { eventFeed?: boolean } = {}) {
    const sandboxed = installation.sandbox;
    this.subscriptions = new Subscriptions(mcp.server, options.eventFeed ?? false);
    this.stopFollowing = options.eventFeed
      ? registerEventFeed(mcp, installation, this.subscriptions)
      : () => {};
    mcp.registerResource(
      "whoami",
      "okta://whoami",
      {
        title: "This installation",
        description: "Tenant (school) id, app and granted scopes of the installation this server acts for.",
        mimeType: "application/json",
      },
      async (uri) => {
        // refreshWhoami refuses a token of another tenant itself (TenantMismatchError).
        const who = await installation.refreshWhoami();
        return json(
          uri.href,
          sanitize({ ...who, ...(sandboxed ? { sandbox: true, note: SANDBOX_NOTE } : {}) }),
        );
      },
    );

    mcp.registerResource(
      "scopes",
      "okta://scopes",
      {
        title: "Scopes",
        description:
          "All 14 platform scopes: what each grants, whether it is granted here, the tools it unlocks.",
        mimeType: "application/json",
      },
      async (uri) => {
        await installation.assertServing();
        return json(uri.href, {
          ...(sandboxed ? { note: SANDBOX_NOTE } : {}),
          scopes: scopeTable(installation.whoami.scopes),
        });
      },
    );

    this.#scoped.push({
      scope: "reports.builder.read",
      handle: mcp.registerResource(
        "reports",
        "okta://reports",
        {
          title: "Report catalog",
          description: "Reports that run_report can run, with each report's parameters.",
          mimeType: "application/json",
        },
        async (uri) => {
          await installation.assertServing();
          return json(uri.href, {
            ...(sandboxed ? { note: SANDBOX_NOTE } : {}),
            reports: sanitize(await installation.reportCatalog()),
          });
        },
      ),
    });

    this.#scoped.push({
      scope: "reports.builder.read",
      handle: mcp.registerResource(
        "report-run",
        new ResourceTemplate("okta://reports/runs/{id}", { list: undefined }),
        {
          title: "Report run",
          description: "The full result of a run_report call (all rows), by the id run_report returned.",
          mimeType: "application/json",
        },
        async (uri, variables) => {
          await installation.assertServing();
          const run = installation.reportRun(String(variables.id));
          if (!run)
            throw new Error(
              `No stored report run ${String(variables.id)}; runs are kept for this server's lifetime, newest 50.`,
            );
          return json(uri.href, sanitize(run));
        },
      ),
    });

    this.#scoped.push({
      scope: "reports.builder.read",
      handle: mcp.registerResource(
        "report",
        new ResourceTemplate("okta://reports/{key}", {
          list: undefined,
          // Report keys complete from the catalog, so a client can offer them as the user types.
          complete: {
            key: async (typed) => {
              await installation.assertServing();
              return (await installation.reportCatalog().catch(() => []))
                .map((r) => cleanText(r.key))
                .filter((key) => key.startsWith(typed));
            },
          },
        }),
        {
          title: "A report",
          description: "One report of the catalog by key: what it computes and its parameters.",
          mimeType: "application/json",
        },
        async (uri, variables) => {
          await installation.assertServing();
          const key = String(variables.key);
          const report = (await installation.reportCatalog()).find((r) => r.key === key);
          if (!report)
            throw new Error(`No report "${key}" in the catalog; read okta://reports for the keys.`);
          return json(uri.href, sanitize(report));
        },
      ),
    });

    for (const t of RECORD_KINDS) {
      this.#scoped.push({
        scope: t.scope,
        handle: mcp.registerResource(
          t.name,
          new ResourceTemplate(`okta://${t.collection}/{id}`, {
            list: undefined,
            complete: { id: (value) => completeIds(installation, t.listPath, value) },
          }),
          {
            title: `${/^[aeiou]/i.test(t.name) ? "An" : "A"} ${t.name}`,
            description: `One ${t.name} by id; the id completes from a name.`,
            mimeType: "application/json",
          },
          async (uri, variables) => {
            const id = String(variables.id);
            if (!/^[1-9]\d{0,9}$/.test(id))
              throw new Error(`Invalid ${t.name} id "${id}": must be a positive integer`);
            const res = await installation.client.request<{ data: unknown }>({
              method: "GET",
              path: fillPath(t.getPath, { id }),
            });
            return json(uri.href, sanitize(res.body?.data));
          },
        ),
      });
    }
    this.updateScopes(installation.whoami.scopes);
  }

  updateScopes(scopes: readonly string[]) {
    for (const { scope, handle } of this.#scoped) {
      if (scopes.includes(scope)) handle.enable();
      else handle.disable();
    }
    // Both show the grant: a client that subscribed hears that it changed.
    this.subscriptions.notify("okta://whoami");
    this.subscriptions.notify("okta://scopes");
  }
}
