/**
 * `resources/subscribe` for one session: which resource URIs its client asked to hear about, and
 * `notifications/resources/updated` sent for those only. Subscribable: the event feed, whoami and
 * the scope table (they change on a token rotation), and records by id. On a 2026-07-28
 * connection the client names its URIs in `subscriptions/listen` instead (checked by the
 * transport with `subscriptionRefusal` before the SDK sees it), and the SDK's listen router
 * filters what is sent.
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

/**
 * Why `uri` may not be subscribed to (resources/subscribe and subscriptions/listen alike), or
 * undefined when it may. `eventFeed: false` (stdio): okta://events/recent is not served, so not
 * subscribable either. `notServed(uri)`: why a URI is not served under the grant and filters.
 */
export function subscriptionRefusal(
  uri: string,
  eventFeed: boolean,
  notServed: (uri: string) => Error | undefined,
): Error | undefined {
  if (!SUBSCRIBABLE.test(uri) || (!eventFeed && uri === "okta://events/recent")) {
    return new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Cannot subscribe to ${uri}: subscriptions are offered for ${eventFeed ? "okta://events/recent, " : ""}okta://whoami, okta://scopes and okta://{${RECORD_COLLECTIONS.join(",")}}/{id}`,
    );
  }
  return notServed(uri);
}

export class Subscriptions {
  readonly #uris = new Set<string>();

  /**
   * `refusal(uri)`: why a URI is not served to this session (its grant and filters), if it is not.
   * `modern`: a 2026-07-28 connection, where the listen router keeps the URIs and filters.
   */
  constructor(
    private readonly server: Server,
    eventFeed = true,
    refusal: (uri: string) => Error | undefined = () => undefined,
    private readonly modern = false,
  ) {
    server.setRequestHandler("resources/subscribe", (request) => {
      const { uri } = request.params;
      const refused = subscriptionRefusal(uri, eventFeed, refusal);
      if (refused) throw refused;
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

  /**
   * Tells the client `uri` changed, if it subscribed to it and is still connected. On 2026 the
   * SDK routes the notification onto the listen streams that named `uri` (and drops it otherwise).
   */
  notify(uri: string): void {
    if (!(this.modern || this.#uris.has(uri)) || !this.server.transport) return;
    void this.server.sendResourceUpdated({ uri }).catch(() => {});
  }
}
