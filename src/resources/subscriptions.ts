/**
 * `resources/subscribe` for one session: which resource URIs its client asked to hear about, and
 * `notifications/resources/updated` sent for those only. Subscribable: the event feed, whoami and
 * the scope table (they change on a token rotation), and records by id.
 */

import type { Server } from "@modelcontextprotocol/server";
import { ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import { RECORD_KINDS } from "../platform/catalog.js";

const RECORD_COLLECTIONS = RECORD_KINDS.map((k) => k.collection);

export const SUBSCRIBABLE = new RegExp(
  `^okta://(?:events/recent|whoami|scopes|(?:${RECORD_COLLECTIONS.join("|")})/[1-9]\\d{0,9})$`,
);

/** Bounds what one client can make the server remember. */
export const MAX_SUBSCRIPTIONS_PER_SESSION = 1_000;

export class Subscriptions {
  readonly #uris = new Set<string>();

  /**
   * `eventFeed: false` (stdio): okta://events/recent is not served, so not subscribable either.
   * `refusal(uri)`: why a URI is not served to this session (its grant and filters), if it is not.
   */
  constructor(
    private readonly server: Server,
    eventFeed = true,
    refusal: (uri: string) => Error | undefined = () => undefined,
  ) {
    server.setRequestHandler("resources/subscribe", (request) => {
      const { uri } = request.params;
      if (!SUBSCRIBABLE.test(uri) || (!eventFeed && uri === "okta://events/recent")) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `Cannot subscribe to ${uri}: subscriptions are offered for ${eventFeed ? "okta://events/recent, " : ""}okta://whoami, okta://scopes and okta://{${RECORD_COLLECTIONS.join(",")}}/{id}`,
        );
      }
      const notServed = refusal(uri);
      if (notServed) throw notServed;
      if (!this.#uris.has(uri) && this.#uris.size >= MAX_SUBSCRIPTIONS_PER_SESSION) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `At most ${MAX_SUBSCRIPTIONS_PER_SESSION} subscriptions per session; unsubscribe from some first`,
        );
      }
      this.#uris.add(uri);
      return {};
    });
    server.setRequestHandler("resources/unsubscribe", (request) => {
      this.#uris.delete(request.params.uri);
      return {};
    });
  }

  has(uri: string): boolean {
    return this.#uris.has(uri);
  }

  get size(): number {
    return this.#uris.size;
  }

  /** Tells the client `uri` changed, if it subscribed to it and is still connected. */
  notify(uri: string): void {
    if (!this.#uris.has(uri) || !this.server.transport) return;
    void this.server.sendResourceUpdated({ uri }).catch(() => {});
  }
}
