/**
 * `okta://events/recent`: the latest webhook events of the session's installation (newest first),
 * and the notifications an event causes: `resources/updated` for the feed and for each record it
 * touches (okta://students/{id}, ...) that the session subscribed to. Events about records the
 * installation may not read, or whose tools the session's --toolsets leaves out, are neither
 * listed nor announced.
 */
import type { ReadResourceResult } from "@modelcontextprotocol/server";
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

/**
 * The feed's description and reader, for Resources to serve. `scopes` gives the scopes whose
 * records this session may see (the grant, narrowed by the tool filter).
 */
export function eventFeed(installation: Installation, scopes: () => readonly string[]) {
  return {
    name: "events",
    uri: EVENTS_URI,
    metadata: {
      title: "Recent events",
      description:
        "The latest platform events (webhooks) of this school, newest first: records created or updated. Subscribe to hear of new ones.",
      mimeType: "application/json",
    },
    read: async (uri: string): Promise<ReadResourceResult> => {
      const visible = scopes();
      const events = installation.events.recent().filter((e) => eventVisibleWith(e.event, visible));
      const text = JSON.stringify({
        ...(installation.sandbox ? { sandbox: true } : {}),
        events: sanitize(events),
      });
      return { contents: [{ uri, mimeType: "application/json", text }] };
    },
  };
}

/** Follows the installation's events for a session's subscriptions; returns the function that stops. */
export function followEvents(
  installation: Installation,
  subscriptions: Subscriptions,
  scopes: () => readonly string[],
): () => void {
  return installation.events.listen((event) => {
    for (const uri of urisUpdatedBy(event, scopes())) subscriptions.notify(uri);
  });
}
