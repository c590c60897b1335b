/**
 * `okta://events/recent`: the latest webhook events of the session's installation (newest first),
 * and the notifications an event causes: `resources/updated` for the feed and for each record it
 * touches (okta://students/{id}, ...) that the session subscribed to. Events about records the
 * installation may not read are neither listed nor announced.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Installation } from "../installation.js";
import type { ReceivedEvent } from "../live/events.js";
import { eventVisibleWith, recordsTouched } from "../platform/webhook-event.js";
import { sanitize } from "../text/clean.js";
import type { Subscriptions } from "./subscriptions.js";

export const EVENTS_URI = "okta://events/recent";

/** The URIs an event makes stale, for an installation holding `scopes` (pure). */
export function urisUpdatedBy(
  event: Pick<ReceivedEvent, "event" | "data">,
  scopes: readonly string[],
): string[] {
  if (!eventVisibleWith(event.event, scopes)) return [];
  return [EVENTS_URI, ...recordsTouched(event).map((r) => `okta://${r.collection}/${r.id}`)];
}

/** Registers the feed and follows the installation's events; returns the function that stops following. */
export function registerEventFeed(
  mcp: McpServer,
  installation: Installation,
  subscriptions: Subscriptions,
): () => void {
  mcp.registerResource(
    "events",
    EVENTS_URI,
    {
      title: "Recent events",
      description:
        "The latest platform events (webhooks) of this school, newest first: records created or updated. Subscribe to hear of new ones.",
      mimeType: "application/json",
    },
    async (uri) => {
      await installation.assertServing();
      const scopes = installation.whoami.scopes;
      const events = installation.events.recent().filter((e) => eventVisibleWith(e.event, scopes));
      const text = JSON.stringify({
        ...(installation.sandbox ? { sandbox: true } : {}),
        events: sanitize(events),
      });
      return { contents: [{ uri: uri.href, mimeType: "application/json", text }] };
    },
  );
  return installation.events.listen((event) => {
    for (const uri of urisUpdatedBy(event, installation.whoami.scopes)) subscriptions.notify(uri);
  });
}
