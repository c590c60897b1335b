/**
 * One installation's recent webhook events and who listens to them: every MCP server made for
 * the installation (one per session) subscribes here and turns events into
 * `notifications/resources/updated`. A ring of the newest events, deduplicated by event id.
 */
import type { WebhookEnvelope } from "../platform/webhook-event.js";

export const RECENT_EVENTS = 50;

export interface ReceivedEvent extends WebhookEnvelope {
  /** When this server heard of it (ISO). */
  received_at: string;
}

export class EventLog {
  readonly #events: ReceivedEvent[] = [];
  readonly #listeners = new Set<(event: ReceivedEvent) => void>();

  constructor(
    private readonly capacity = RECENT_EVENTS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records an event and tells the listeners; false (and silence) for an event id already here. */
  add(envelope: WebhookEnvelope): boolean {
    if (this.#events.some((e) => e.id === envelope.id)) return false;
    const event: ReceivedEvent = { ...envelope, received_at: new Date(this.now()).toISOString() };
    this.#events.unshift(event);
    if (this.#events.length > this.capacity) this.#events.length = this.capacity;
    for (const listener of this.#listeners) listener(event);
    return true;
  }

  /** Newest first. */
  recent(): ReceivedEvent[] {
    return [...this.#events];
  }

  /** Returns the function that removes the listener. */
  listen(listener: (event: ReceivedEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}
