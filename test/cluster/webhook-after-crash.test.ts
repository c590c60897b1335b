/**
 * NEEDS THE DURABLE WEBHOOK QUEUE (issue 14, branch i14-queue): fails until it is merged.
 *
 * A webhook accepted (202) by an instance that is killed before processing it still reaches the
 * subscribers on the other instances, once: the delivery waits in a Redis Stream, and after the
 * visibility timeout a surviving instance reclaims and processes it.
 *
 * Written against the knobs that queue is to expose; the names are a guess to align at merge:
 * - OKTA_WEBHOOK_VISIBILITY_MS: how long a claimed delivery may stay unacknowledged before
 *   another instance reclaims it (short here, so the test is quick);
 * - OKTA_WEBHOOK_TEST_PROCESSING_DELAY_MS: a test-only delay before an instance processes what it
 *   took, given to the doomed instance only, so it is surely killed before processing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectModern, connectStreamable, terminate, waitFor } from "../e2e/http-harness.js";
import { deliver, envelope, recordNotifications, signed } from "../e2e/webhook-harness.js";
import { type Cluster, clusterBinaries, startCluster, TENANT, WEBHOOK_SECRET } from "./cluster-harness.js";

const KEY = "cluster-key-queue-0123456789abcdef";
const VISIBILITY_ENV = "OKTA_WEBHOOK_VISIBILITY_MS";
const PROCESSING_DELAY_ENV = "OKTA_WEBHOOK_TEST_PROCESSING_DELAY_MS";
const binaries = clusterBinaries();

describe.skipIf(!binaries)("a webhook accepted by an instance killed before processing it", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(binaries!, {
      keys: [KEY],
      instanceEnv: (i) => ({
        [VISIBILITY_ENV]: "1000",
        ...(i === 0 ? { [PROCESSING_DELAY_ENV]: "600000" } : {}),
      }),
    });
  }, 60_000);
  afterAll(() => cluster?.stop(), 30_000);

  it("is reclaimed by a survivor and reaches a 2026 listener on B and a 2025 subscriber on C, once", async () => {
    const [doomed, b, c] = cluster.instances;
    const listener = await connectModern(b.handle, KEY);
    const subscriber = await connectStreamable(c.handle, KEY);
    const [heardByB, heardByC] = [recordNotifications(listener), recordNotifications(subscriber)];
    try {
      const uris = ["okta://students/5", "okta://students/6"];
      const stream = await listener.listen({ resourceSubscriptions: uris });
      for (const uri of uris) await subscriber.subscribeResource({ uri });

      const accepted = await deliver(doomed.handle, signed(WEBHOOK_SECRET, envelope({ tenant_id: TENANT })));
      expect(accepted.status).toBe(202);
      // The doomed instance holds it (the delay): nobody has heard it when the instance dies.
      await new Promise((r) => setTimeout(r, 500));
      expect([...heardByB.updated, ...heardByC.updated]).toEqual([]);
      await doomed.kill9();

      for (const heard of [heardByB, heardByC]) {
        await waitFor(() => heard.updated.includes("okta://students/5"), 20_000, "the reclaimed event");
      }
      // A second event: once both have heard it, the reclaimed one was processed only once.
      const second = envelope({ tenant_id: TENANT, data: { student: { id: 6, full_name: "Six" } } });
      expect((await deliver(b.handle, signed(WEBHOOK_SECRET, second))).status).toBe(202);
      for (const heard of [heardByB, heardByC]) {
        await waitFor(() => heard.updated.includes("okta://students/6"), 20_000, "the second event");
        expect(heard.updated.filter((u) => u === "okta://students/5")).toHaveLength(1);
      }
      await stream.close();
    } finally {
      await listener.close();
      await terminate(subscriber).catch(() => {});
      await subscriber.close();
    }
  }, 60_000);
});
