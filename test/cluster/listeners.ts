/**
 * The two kinds of listener a webhook must reach across instances: a 2026-07-28 listen stream on
 * one instance and a 2025 session subscribed on another, both to students 5 and 6. The first
 * event names student 5; a second one (student 6) proves, once heard, that the first was not
 * announced again.
 */
import { expect } from "vitest";
import type { HttpServerHandle } from "../../src/transport/http.js";
import { connectModern, connectStreamable, terminate, waitFor } from "../e2e/http-harness.js";
import { deliver, envelope, recordNotifications, signed } from "../e2e/webhook-harness.js";
import { type Instance, TENANT, WEBHOOK_SECRET } from "./cluster-harness.js";

const URIS = ["okta://students/5", "okta://students/6"];

export interface Listeners {
  /** The URIs each has heard, listener first. */
  heard(): [string[], string[]];
  /** Waits until both have heard `uri`. */
  bothHear(uri: string): Promise<void>;
  /** Delivers the second event through `via`; once both have heard it, student 5 was heard once. */
  expectFirstHeardOnce(via: HttpServerHandle): Promise<void>;
  close(): Promise<void>;
}

/** A signed delivery of the first event (student 5), as the platform sends it. */
export function firstEvent() {
  return signed(WEBHOOK_SECRET, envelope({ tenant_id: TENANT }));
}

export async function listenersOn(
  listenerAt: Instance,
  subscriberAt: Instance,
  key: string,
): Promise<Listeners> {
  const listener = await connectModern(listenerAt.handle, key);
  const subscriber = await connectStreamable(subscriberAt.handle, key);
  const [byListener, bySubscriber] = [recordNotifications(listener), recordNotifications(subscriber)];
  const stream = await listener.listen({ resourceSubscriptions: URIS });
  for (const uri of URIS) await subscriber.subscribeResource({ uri });
  const both = [byListener, bySubscriber];
  const bothHear = async (uri: string) => {
    for (const heard of both) await waitFor(() => heard.updated.includes(uri), 20_000, `${uri} on both`);
  };
  return {
    heard: () => [byListener.updated, bySubscriber.updated],
    bothHear,
    expectFirstHeardOnce: async (via) => {
      const second = envelope({ tenant_id: TENANT, data: { student: { id: 6, full_name: "Six" } } });
      expect((await deliver(via, signed(WEBHOOK_SECRET, second))).status).toBe(202);
      await bothHear(URIS[1] as string);
      for (const heard of both) expect(heard.updated.filter((u) => u === URIS[0])).toHaveLength(1);
    },
    close: async () => {
      await stream.close().catch(() => {});
      await listener.close();
      await terminate(subscriber).catch(() => {});
      await subscriber.close();
    },
  };
}
