/**
 * The state a 2026-07-28 confirmation carries between its two rounds. The first round answers
 * `input_required` with this state sealed in `requestState`; the client echoes it with the
 * human's answer. It comes back as attacker-controlled input, so it is signed (HMAC, the SDK's
 * codec), bound to the installation and the caller's API key, and short-lived. It is signed, not
 * encrypted: it holds only the tool and a digest of the exact arguments, never the text.
 */
import { randomBytes } from "node:crypto";
import { createRequestStateCodec, type ServerContext } from "@modelcontextprotocol/server";

export const REQUEST_STATE_KEY_ENV = "OKTA_MCP_REQUEST_STATE_KEY";
const MIN_KEY_BYTES = 32;
/** How long the human's answer may take to come back with the state (as the write memory's window). */
export const CONFIRM_STATE_TTL_SECONDS = 600;

/** What the first round sealed: this tool, with exactly these arguments. */
export interface ConfirmState {
  tool: string;
  /** writeFingerprint(installation, tool, canonical arguments): a hash, so nothing readable leaks. */
  args: string;
}

/** Why an echoed state was refused (nothing is sent on any of them). */
export type StateRefusal = "altered" | "expired" | "foreign";

/** The `requestState.verify` hook's verdict, read back with `ctx.mcpReq.requestState()`. */
export type StateCheck = { valid: true; state: ConfirmState } | { valid: false; refusal: StateRefusal };

export interface ConfirmStates {
  mint(state: ConfirmState, ctx: ServerContext): Promise<string>;
  /**
   * For `new McpServer(info, { requestState: { verify } })`. It never throws: a refusal becomes a
   * tool error naming what is wrong (the SDK's own refusal is a bare -32602 that says neither
   * why nor that nothing was sent).
   */
  verify(raw: string, ctx: ServerContext): Promise<StateCheck>;
}

/** The key that signs states, and whether other instances share it (configured) or not (random). */
export interface RequestStateKey {
  key: Uint8Array;
  shared: boolean;
}

/** One random key per process: states minted here verify only here (stdio, or one HTTP instance). */
let processKey: Uint8Array | undefined;

export function processStateKey(): Uint8Array {
  processKey ??= randomBytes(MIN_KEY_BYTES);
  return processKey;
}

/** Reads OKTA_MCP_REQUEST_STATE_KEY: hex or base64 (base64url too), at least 32 bytes. */
export function requestStateKeyFrom(env: Record<string, string | undefined>): RequestStateKey {
  const raw = env[REQUEST_STATE_KEY_ENV]?.trim();
  if (!raw) return { key: processStateKey(), shared: false };
  const key = decodeKey(raw);
  if (!key) {
    throw new Error(
      `${REQUEST_STATE_KEY_ENV} is neither hex nor base64; make one with: openssl rand -base64 32`,
    );
  }
  if (key.byteLength < MIN_KEY_BYTES) {
    throw new Error(
      `${REQUEST_STATE_KEY_ENV} is ${key.byteLength} bytes; use at least ${MIN_KEY_BYTES} random bytes (openssl rand -base64 32)`,
    );
  }
  return { key, shared: true };
}

/** Hex when it is only hex digits (64 of them make 32 bytes), else base64 or base64url. */
function decodeKey(raw: string): Uint8Array | undefined {
  if (/^(?:[0-9a-fA-F]{2})+$/.test(raw)) return Buffer.from(raw, "hex");
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(raw) || /^[A-Za-z0-9_-]+$/.test(raw)) return Buffer.from(raw, "base64");
  return undefined;
}

const REFUSALS: Record<string, StateRefusal> = {
  malformed: "altered",
  mac: "altered",
  expired: "expired",
  bind: "foreign",
};

/**
 * States bound to `principal()` (the installation) and the caller's API key id (`authInfo.clientId`
 * on HTTP; none on stdio, where the process is the installation's own).
 */
export function confirmStates(
  key: Uint8Array,
  principal: () => string,
  ttlSeconds = CONFIRM_STATE_TTL_SECONDS,
): ConfirmStates {
  const codec = createRequestStateCodec<ConfirmState>({
    key,
    ttlSeconds,
    bind: (ctx) => [ctx.mcpReq.method, principal(), ctx.http?.authInfo?.clientId ?? ""].join("\0"),
  });
  return {
    mint: (state, ctx) => codec.mint(state, ctx),
    async verify(raw, ctx) {
      try {
        const state = await codec.verify(raw, ctx);
        if (typeof state?.tool !== "string" || typeof state.args !== "string") {
          return { valid: false, refusal: "altered" };
        }
        return { valid: true, state };
      } catch (error) {
        return { valid: false, refusal: REFUSALS[(error as Error).message] ?? "altered" };
      }
    },
  };
}
