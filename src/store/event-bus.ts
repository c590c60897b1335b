/**
 * The SDK's `ServerEventBus` (what 2026-07-28 `subscriptions/listen` streams hear) over the
 * SharedStore's publish/subscribe: with Redis, a change published by one instance reaches the
 * listen streams open on every instance. One bus per installation, on its own channel, so events
 * never cross schools. Publishing goes only through the store, which delivers to this instance's
 * own subscription too: every listener hears each event once.
 */
import type { ServerEvent, ServerEventBus } from "@modelcontextprotocol/server";
import { InMemoryServerEventBus } from "@modelcontextprotocol/server";
import type { Logger } from "../logger.js";
import type { SharedStore } from "./shared-store.js";

const KINDS = new Set(["tools_list_changed", "prompts_list_changed", "resources_list_changed"]);

/** A ServerEvent from the channel, or undefined for anything else (pure). */
export function parseServerEvent(message: string): ServerEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { kind, uri } = value as { kind?: unknown; uri?: unknown };
  if (kind === "resource_updated") return typeof uri === "string" ? { kind, uri } : undefined;
  return typeof kind === "string" && KINDS.has(kind) ? ({ kind } as ServerEvent) : undefined;
}

export class SharedStoreEventBus implements ServerEventBus {
  readonly #local: InMemoryServerEventBus;
  readonly #unsubscribe: Promise<() => Promise<void>>;

  constructor(
    private readonly store: SharedStore,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {
    this.#local = new InMemoryServerEventBus((error) =>
      logger.warn({ err: { message: error.message } }, "listen stream listener failed"),
    );
    this.#unsubscribe = store.subscribe(channel, (message) => {
      const event = parseServerEvent(message);
      if (event) this.#local.publish(event);
      else logger.warn({ channel }, "malformed event on the listen channel; ignored");
    });
  }

  /** Resolves once this instance hears the channel (events published before are not heard). */
  async ready(): Promise<void> {
    await this.#unsubscribe;
  }

  publish(event: ServerEvent): void {
    // Only what the listen router reads: the kind and the URI.
    const wire =
      event.kind === "resource_updated" ? { kind: event.kind, uri: event.uri } : { kind: event.kind };
    void this.store
      .publish(this.channel, JSON.stringify(wire))
      .catch((error: Error) =>
        this.logger.warn({ err: { message: error.message }, kind: event.kind }, "listen event not published"),
      );
  }

  subscribe(listener: (event: ServerEvent) => void): () => void {
    return this.#local.subscribe(listener);
  }

  async close(): Promise<void> {
    await (await this.#unsubscribe)().catch(() => {});
  }
}
