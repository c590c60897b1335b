/**
 * InstallationFollower: the change-following of one installation for its 2026-07-28 HTTP
 * clients. Those are served by one short-lived server per request (which follows nothing, see
 * server.ts), so this object, made once per installation, turns the installation's changes into
 * events on the installation's listen bus:
 * - a scope change: tools/resources/prompts `list_changed` for the lists it altered, and
 *   `resources/updated` for okta://whoami and okta://scopes;
 * - a webhook event: `resources/updated` for the feed and each record it touches, announced by
 *   one instance only (`claim`), since every instance hears every event and the bus may be shared.
 * It also answers which URIs a listen stream may name (`refusal`), under the current grant.
 */
import type { ServerNotifier } from "@modelcontextprotocol/server";
import { servedScopes } from "./grant/served.js";
import type { Installation } from "./installation.js";
import type { Logger } from "./logger.js";
import { urisUpdatedBy } from "./resources/events.js";
import { GRANT_URIS } from "./resources/index.js";
import { createServer, type OktaMcpServer, type ServerOptions } from "./server.js";

/** True for the one caller that should announce the event `id` (atomic across instances). */
export type EventClaim = (id: string) => Promise<boolean>;

export class InstallationFollower {
  /** Never connected: its resources and tool lists mirror what a request would be served. */
  readonly #reference: OktaMcpServer;
  readonly #stops: (() => void)[];

  constructor(
    installation: Installation,
    options: ServerOptions,
    logger: Logger,
    notify: ServerNotifier,
    claim: EventClaim = async () => true,
  ) {
    this.#reference = createServer(installation, { ...options, follow: false }, logger);
    this.#stops = [
      installation.onScopesChanged((scopes) => {
        const changed = this.#reference.updateScopes(scopes);
        if (changed.tools) notify.toolsChanged();
        if (changed.resources) notify.resourcesChanged();
        if (changed.prompts) notify.promptsChanged();
        for (const uri of GRANT_URIS) notify.resourceUpdated(uri);
      }),
      installation.events.listen((event) => {
        // Events about records whose tools are not served are hidden, as from 2025 sessions.
        const uris = urisUpdatedBy(event, servedScopes(installation.whoami.scopes, options));
        if (uris.length === 0) return;
        claim(event.id)
          .then((first) => {
            if (first) for (const uri of uris) notify.resourceUpdated(uri);
          })
          .catch((error: Error) =>
            logger.warn(
              { err: { message: error.message }, event: event.id },
              "event not announced to listeners",
            ),
          );
      }),
    ];
  }

  /** Why a listen stream may not name `uri` (not subscribable, or not served under the grant). */
  refusal(uri: string): Error | undefined {
    return this.#reference.resources.subscriptionRefusal(uri);
  }

  async close(): Promise<void> {
    for (const stop of this.#stops) stop();
    await this.#reference.mcp.close().catch(() => {});
  }
}
