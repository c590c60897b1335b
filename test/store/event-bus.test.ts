/**
 * The listen bus over the SharedStore: what one bus publishes reaches every bus on the channel
 * once (its own listeners included), never another channel's, and anything malformed on the
 * channel is dropped instead of reaching a listen stream.
 */
import type { ServerEvent } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.js";
import { parseServerEvent, SharedStoreEventBus } from "../../src/store/event-bus.js";
import { InMemorySharedStore } from "../../src/store/memory.js";

const settle = () => new Promise((r) => setImmediate(r));

describe("parseServerEvent", () => {
  it("takes the four event kinds and nothing else", () => {
    expect(parseServerEvent('{"kind":"resource_updated","uri":"okta://students/5"}')).toEqual({
      kind: "resource_updated",
      uri: "okta://students/5",
    });
    expect(parseServerEvent('{"kind":"tools_list_changed","extra":1}')).toEqual({
      kind: "tools_list_changed",
    });
    for (const bad of ["not json", "null", "[]", '{"kind":"resource_updated"}', '{"kind":"tasks_changed"}']) {
      expect(parseServerEvent(bad), bad).toBeUndefined();
    }
  });
});

describe("SharedStoreEventBus", () => {
  it("delivers a published event once to the listeners of every bus on the channel, not to others", async () => {
    const store = new InMemorySharedStore();
    const [a, b, other] = ["okmcp:42:listen:a", "okmcp:42:listen:a", "okmcp:7:listen:a"].map(
      (channel) => new SharedStoreEventBus(store, channel, silentLogger()),
    ) as [SharedStoreEventBus, SharedStoreEventBus, SharedStoreEventBus];
    await Promise.all([a.ready(), b.ready(), other.ready()]);
    const heard: Record<string, ServerEvent[]> = { a: [], b: [], other: [] };
    a.subscribe((e) => heard.a!.push(e));
    const stopB = b.subscribe((e) => heard.b!.push(e));
    other.subscribe((e) => heard.other!.push(e));

    a.publish({ kind: "resource_updated", uri: "okta://students/5", params: { ignored: true } });
    b.publish({ kind: "tools_list_changed" });
    await settle();
    const both = [{ kind: "resource_updated", uri: "okta://students/5" }, { kind: "tools_list_changed" }];
    expect(heard.a).toEqual(both);
    expect(heard.b).toEqual(both);
    expect(heard.other).toEqual([]);

    await store.publish("okmcp:42:listen:a", '{"kind":"nonsense"}');
    stopB();
    a.publish({ kind: "prompts_list_changed" });
    await settle();
    expect(heard.a).toEqual([...both, { kind: "prompts_list_changed" }]);
    expect(heard.b).toEqual(both);

    await a.close();
    b.publish({ kind: "resources_list_changed" });
    await settle();
    expect(heard.a).toHaveLength(3);
  });
});
