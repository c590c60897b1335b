/**
 * The success paths of the uniform reads and writes (lists are lists.ts), chosen by specs/generic.ts.
 * They receive arguments already validated and split; failures are thrown and mapped by the seam
 * (registry.ts).
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { z } from "zod";
import type { ApiResponse } from "../client/client.js";
import { ApiError } from "../client/errors.js";
import { type Endpoint, fillPath } from "../platform/catalog.js";
import { collectionEnvelope, recordEnvelope } from "../platform/envelopes.js";
import { type EarlierCall, writeFingerprint } from "../store/write-memory.js";
import { sanitize } from "../text/clean.js";
import { capItems, projectFields, toolResult } from "./results.js";
import type { WriteOutcome } from "./schemas.js";
import type { CallArgs, HandlerContext } from "./specs/spec.js";

export async function read(endpoint: Endpoint, args: CallArgs, ctx: HandlerContext): Promise<CallToolResult> {
  const res = await ctx.installation.client.request({
    method: "GET",
    path: fillPath(endpoint.path, args.path),
    signal: ctx.signal,
    expect: dataOf(endpoint),
  });
  ctx.attempts = res.attempts;
  const data = sanitize(res.body.data);
  if (endpoint.response === "collection") {
    const items = Array.isArray(data) ? data : [];
    const capped = capItems(
      items,
      100,
      ctx.maxResultBytes,
      "The list is longer than this server's result cap.",
    );
    return toolResult({ data: capped.items, ...(capped.truncated ? { truncated: capped.truncated } : {}) });
  }
  return toolResult({ data: projectFields(data, args.fields) });
}

/** The contract's answer of a record or collection endpoint, `{ data }`: the client checks it. */
const dataOf = (endpoint: Endpoint): z.ZodType<{ data: unknown }> =>
  endpoint.response === "collection" ? collectionEnvelope(endpoint.record) : recordEnvelope(endpoint.record);

/** An identical call in flight elsewhere is waited for this long before this one gives up. */
const IN_FLIGHT_WAIT_MS = 30_000;

function recordNoun(endpoint: Endpoint): string {
  return endpoint.kind === "send" ? "message" : endpoint.tool.replace(/^[a-z]+_/, "").replace(/_/g, " ");
}

/** What makes two writes identical; the caller's key is part of it: a new key is a deliberate second write. */
export function writeFingerprintOf(
  installation: { readonly id: string },
  endpoint: Endpoint,
  args: CallArgs,
): string {
  return writeFingerprint(installation.id, endpoint.tool, {
    ...args.request,
    idempotency_key: args.idempotencyKey,
  });
}

export async function write(
  endpoint: Endpoint,
  args: CallArgs,
  ctx: HandlerContext,
): Promise<CallToolResult> {
  const installation = ctx.installation;
  const request = {
    method: endpoint.method,
    path: fillPath(endpoint.path, args.path),
    body: args.body ?? {},
    signal: ctx.signal,
    expect: dataOf(endpoint),
  };
  if (endpoint.kind === "update") {
    // Never remembered across calls: each update reaches the platform (its key covers its own retries).
    const res = await installation.client.request({
      ...request,
      ...(args.idempotencyKey ? { idempotencyKey: args.idempotencyKey } : {}),
    });
    ctx.attempts = res.attempts;
    // The platform answers a key used before with its stored answer, changing nothing: under a
    // caller's key (which this server never remembers for updates) the answer proves no change.
    const caveat = args.idempotencyKey ? unprovenCaveat(endpoint, args.idempotencyKey) : undefined;
    return writeResult(endpoint, "updated", sanitize(res.body.data), res.attempts, undefined, caveat);
  }

  // Asked of nobody because it repeats a write already made: it goes out under that write's key
  // (ctx.replayOf), even if the memory lets the entry go in between (the platform keeps keys 24 hours).
  const claim =
    ctx.replayOf ??
    (await installation.writeMemory.claim(
      writeFingerprintOf(installation, endpoint, args),
      args.idempotencyKey,
      {
        maxWaitMs: IN_FLIGHT_WAIT_MS,
        signal: ctx.signal,
      },
    ));
  let res: ApiResponse<{ data: unknown }>;
  const sentAt = performance.now();
  try {
    res = await installation.client.request({ ...request, idempotencyKey: claim.key });
  } catch (error) {
    // Only a call none of whose attempts may have been applied leaves nothing to complete. A 4xx
    // after one that may (a 409 while a timed-out attempt is still in flight, a 429) refuses the
    // retry, not that attempt: the key is kept, so the identical repeat completes it, once.
    const unknown = error instanceof ApiError && error.maybeApplied;
    await claim.settle(unknown ? "unknown" : "refused");
    throw error;
  }
  // The platform call alone, every attempt included: not the memory's settling after it.
  const tookMs = performance.now() - sentAt;
  await claim.settle("succeeded");
  ctx.attempts = res.attempts;
  const data = sanitize(res.body.data);
  const { outcome, when, caveat } = outcomeOf(
    endpoint,
    res,
    data,
    claim.earlier,
    args.idempotencyKey,
    tookMs,
  );
  return writeResult(endpoint, outcome, data, res.attempts, when, caveat);
}

/**
 * A record this call made is at most as old, at the answer, as the call took (every attempt
 * included), plus this: created_at and Date are whole seconds, and the platform's hosts may
 * disagree by a little. Older: an earlier call's record, replayed under the same key. Younger is
 * taken as this call's: a same-key call seconds earlier that this server never saw looks the same.
 */
const PLATFORM_CLOCK_SLACK_MS = 5_000;

/** ISO 8601 date and time with its offset, as the contract has it. */
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * The record's `created_at` (every record has one, per the contract), when it reads as an instant.
 * One without an offset is not: Date.parse would take it as this server's local time, hours off.
 */
export function createdAtOf(data: unknown): { text: string; ms: number } | undefined {
  const text = (data as { created_at?: unknown } | undefined)?.created_at;
  if (typeof text !== "string" || !WITH_OFFSET.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? { text, ms } : undefined;
}

/**
 * What a success under a caller's key this server never saw cannot prove: the platform answers a
 * repeat of a key as it answered the first use. Said, rather than claiming this call did it.
 */
function unprovenCaveat(endpoint: Endpoint, key: string): string {
  const done =
    endpoint.kind === "update"
      ? "nothing was changed"
      : `nothing new was ${endpoint.kind === "send" ? "sent" : "created"}`;
  return ` This server has no record of idempotency_key "${key}" being used before; if it was (the platform keeps a key's answer for 24 hours), this is that earlier call's answer and ${done} now.`;
}

/** What a write's answer shows, and what it cannot prove. */
interface Verdict {
  outcome: WriteOutcome;
  /** When the earlier identical call was (replayed and completed only); "earlier" when unknown. */
  when?: string;
  /** Appended to the text: what this answer cannot prove. */
  caveat?: string;
}

/**
 * The outcome from facts only: what this server knows of an identical earlier call, the
 * contract's statuses (create 201, send 202, an "idempotent" create finding its record 200), and
 * for a caller's key this server never saw, the record's age.
 */
function outcomeOf(
  endpoint: Endpoint,
  res: ApiResponse<unknown>,
  data: unknown,
  earlier: EarlierCall | undefined,
  callerKey: string | undefined,
  tookMs: number,
): Verdict {
  // Only this server's memory knows when.
  if (earlier) {
    const when = `${Math.max(0, Math.round((Date.now() - earlier.at) / 1000))} s ago`;
    return { outcome: earlier.state === "succeeded" ? "replayed" : "completed", when };
  }
  // A 200 is the contract's existing record (a code or email already there): old by nature, and
  // "existing" says all it proves; only a 201's age tells this call's record from an earlier one's.
  if (endpoint.kind === "create" && res.status === 200) return { outcome: "existing" };
  // A key the caller chose may have been used before this server's memory began (or beyond it):
  // only the platform knew, and its answer to a replay is the stored one, status and all.
  const age = callerKey === undefined ? undefined : recordAgeOf(endpoint, res, data);
  if (age !== undefined && age.ms > tookMs + PLATFORM_CLOCK_SLACK_MS) {
    return { outcome: "replayed", when: `at ${age.createdAt}` };
  }
  // Not in the contract, but an implementation that flags a replay on the first attempt tells us
  // the key was used by a call this server no longer remembers (a flagged replay has no time). A
  // replay on a later attempt is this call's own earlier attempt, so this call did make it.
  if (res.replayed && res.attempts === 1) return { outcome: "replayed" };
  const outcome = endpoint.kind === "send" ? "sent" : "created";
  // This server's own fresh key, or a recent created_at, shows the record is new; a send's answer
  // has nothing to show.
  if (callerKey === undefined || age !== undefined) return { outcome };
  return { outcome, caveat: unprovenCaveat(endpoint, callerKey) };
}

/**
 * A created record's age by the platform's clock (created_at to the answer's Date), to set against
 * how long the call took by ours: two durations, so a skew between the two clocks changes nothing.
 */
function recordAgeOf(
  endpoint: Endpoint,
  res: ApiResponse<unknown>,
  data: unknown,
): { ms: number; createdAt: string } | undefined {
  if (endpoint.kind !== "create" || res.answeredAt === undefined) return undefined;
  const createdAt = createdAtOf(data);
  return createdAt === undefined
    ? undefined
    : { ms: res.answeredAt - createdAt.ms, createdAt: createdAt.text };
}

function writeResult(
  endpoint: Endpoint,
  outcome: WriteOutcome,
  data: unknown,
  attempts: number,
  /** When the earlier identical call was, e.g. "12 s ago" (replayed and completed only). */
  when = "earlier",
  /** Appended to the text: what this answer cannot prove. */
  caveat = "",
): CallToolResult {
  const noun = recordNoun(endpoint);
  const id = (data as { id?: unknown } | undefined)?.id;
  const ref = id === undefined ? "" : ` (id ${String(id)})`;
  const retried =
    attempts > 1 ? ` It took ${attempts} attempts; one idempotency key made them one write.` : "";
  const again = `To ${endpoint.kind === "send" ? "send it again" : "create another"} on purpose, call again with a new idempotency_key.`;
  // What the answer cannot prove is not claimed: with a caveat, "by this call" is left out.
  const by = caveat ? "" : " by this call";
  const text: Record<WriteOutcome, string> = {
    created: `Created${by}: ${noun}${ref}.${retried}`,
    sent: `Sent${by}: ${noun}${ref} queued for delivery.${retried}`,
    updated: `Updated${by}: ${noun}${ref}.${retried}`,
    existing: `Nothing added: the platform already had this ${noun}${ref} and returned it unchanged.`,
    replayed: `Already done: an identical ${endpoint.tool} succeeded ${when}; the platform returned that result and nothing new was ${endpoint.kind === "send" ? "sent" : "created"} now. ${again}`,
    completed: `Done, exactly once: an identical ${endpoint.tool} ${when} ended without a clear answer; this call finished it under the same idempotency key, so the platform holds one ${noun}${ref}.`,
  };
  return toolResult({ data, outcome }, text[outcome] + caveat);
}
