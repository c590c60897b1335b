/**
 * Confirmation before a send (always) or a write the operator listed with `--confirm`: whether
 * this deployment can ask a human at all (pure), and what to ask, in plain prose a person reads
 * (pure), with the recipient's name and the default channel looked up at the platform.
 */
import type { Installation } from "../installation.js";
import { type Endpoint, endpointOf, fillPath, type ToolName } from "../platform/catalog.js";
import { listEnvelope, recordEnvelope } from "../platform/envelopes.js";
import { cleanText } from "../text/clean.js";

/** How long a human has to answer before the call ends with nothing sent. */
export const DEFAULT_CONFIRM_TIMEOUT_MS = 5 * 60_000;

/** A name lookup for the question is a courtesy: past this, the raw recipient is shown instead. */
const LOOKUP_TIMEOUT_MS = 3_000;

/**
 * - `ask`: elicit (2025: a request to the client; 2026-07-28: an `input_required` round), and go
 *   ahead only on yes.
 * - `host-approval`: the client cannot elicit; its host asked the human before calling the tool.
 * - `refuse`: no session (stateless HTTP), so nobody can be asked: nothing is sent.
 * - `unconfirmed`: no session, and the operator chose at start to send without asking.
 */
export type ConfirmationPlan = "none" | "ask" | "host-approval" | "refuse" | "unconfirmed";

/** Whether a call of `endpoint` may ask the human at all: sends, and the writes listed in `confirm`. */
export function mayAsk(endpoint: Endpoint, confirm: readonly ToolName[]): boolean {
  return endpoint.kind === "send" || confirm.includes(endpoint.tool);
}

export function confirmationPlan(facts: {
  endpoint: Endpoint;
  confirm: readonly ToolName[];
  /** Stateless HTTP: each request has a server of its own that never met the client. */
  sessionless: boolean;
  allowUnconfirmedSends: boolean;
  clientCanElicit: boolean;
  /**
   * A 2026-07-28 request: it says what the client can do, and the answer comes back with the
   * retried call itself, so no session is needed to ask.
   */
  modern: boolean;
}): ConfirmationPlan {
  const send = facts.endpoint.kind === "send";
  if (!mayAsk(facts.endpoint, facts.confirm)) return "none";
  if (facts.sessionless && !facts.modern)
    return send && facts.allowUnconfirmedSends ? "unconfirmed" : "refuse";
  return facts.clientCanElicit ? "ask" : "host-approval";
}

/** Form elicitation declared: `form`, or a bare `elicitation: {}` (the rule from before modes). */
export function canElicitForm(
  capabilities: { elicitation?: { form?: object; url?: object } } | undefined,
): boolean {
  const elicitation = capabilities?.elicitation;
  if (!elicitation) return false;
  return elicitation.form !== undefined || elicitation.url === undefined;
}

const CHANNEL_NAMES: Record<string, string> = { sms: "SMS", whatsapp: "WhatsApp", email: "email" };

export function channelName(channel: string): string {
  return CHANNEL_NAMES[channel] ?? channel;
}

/** The channel as a person reads it: given, the default one by name, or just "the default channel". */
export function describeChannel(given: string | undefined, defaultChannel: string | undefined): string {
  if (given) return channelName(given);
  return defaultChannel ? `${channelName(defaultChannel)} (the default channel)` : "the default channel";
}

/** The recipient as a person reads it: the guardian's name with the raw `to`, when one matched. */
export function describeRecipient(to: string, guardianNames: readonly string[]): string {
  const raw = /^\d+$/.test(to) ? `user id ${to}` : to;
  if (guardianNames.length === 0) return raw;
  if (guardianNames.length === 1) return `${guardianNames[0]} (guardian, ${raw})`;
  return `${raw} (the phone of guardians ${guardianNames.join(" and ")})`;
}

export function sendQuestion(recipient: string, channel: string, message: string): string {
  return `Send this message by ${channel} to ${recipient}?\n\n${message}`;
}

/** `field: value` lines, nested objects as dotted names (pure). */
export function fieldLines(values: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(values).flatMap(([name, value]) => {
    const field = `${prefix}${name}`;
    if (value !== null && typeof value === "object" && !Array.isArray(value))
      return fieldLines(value as Record<string, unknown>, `${field}.`);
    const text = Array.isArray(value) ? value.map(String).join(", ") : String(value);
    return [`${field}: ${cleanText(text)}`];
  });
}

export function writeQuestion(endpoint: Endpoint, request: Record<string, unknown>): string {
  return `${endpoint.title}?\n\n${fieldLines(request).join("\n")}`;
}

/** The question for a send, with the guardian's name and the default channel looked up. */
export async function sendQuestionFor(
  installation: Installation,
  body: { to: string; message: string; channel?: string },
  signal: AbortSignal,
): Promise<string> {
  const lookup = AbortSignal.any([signal, AbortSignal.timeout(LOOKUP_TIMEOUT_MS)]);
  const [names, defaultChannel] = await Promise.all([
    guardianNamesFor(installation, body.to, lookup),
    body.channel ? undefined : defaultChannelOf(installation, lookup),
  ]);
  return sendQuestion(
    describeRecipient(body.to, names),
    describeChannel(body.channel, defaultChannel),
    body.message,
  );
}

/** Guardians this `to` reaches: by id (a user id) or by exact phone. Empty when unknown or unreadable. */
async function guardianNamesFor(installation: Installation, to: string, signal: AbortSignal) {
  // The scope the guardian lookups need, from the catalog (get_guardian and list_guardians share it).
  const scope = endpointOf("get_guardian").scope;
  if (!scope || !installation.whoami.scopes.includes(scope)) return [];
  try {
    if (/^[1-9]\d{0,9}$/.test(to)) {
      const get = endpointOf("get_guardian");
      const res = await installation.client.request({
        method: "GET",
        path: fillPath(get.path, { id: to }),
        signal,
        expect: recordEnvelope(get.record),
      });
      return namesOf([res.body.data]);
    }
    const list = endpointOf("list_guardians");
    const res = await installation.client.request({
      method: "GET",
      path: list.path,
      // The search is free text (it matches names too): only an exact phone counts.
      query: { search: to, per_page: 20 },
      signal,
      expect: listEnvelope(list.record),
    });
    return namesOf(res.body.data.filter((g) => g.phone === to));
  } catch {
    return [];
  }
}

function namesOf(guardians: readonly ({ full_name?: unknown } | undefined)[]): string[] {
  return guardians
    .map((g) => (typeof g?.full_name === "string" ? cleanText(g.full_name) : ""))
    .filter(Boolean);
}

async function defaultChannelOf(installation: Installation, signal: AbortSignal) {
  try {
    const capabilities = endpointOf("get_notification_capabilities");
    const res = await installation.client.request({
      method: "GET",
      path: capabilities.path,
      signal,
      expect: recordEnvelope(capabilities.record),
    });
    const channel = res.body.data.default_channel;
    return typeof channel === "string" ? cleanText(channel) : undefined;
  } catch {
    return undefined;
  }
}
