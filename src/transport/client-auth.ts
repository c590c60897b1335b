/**
 * Who is calling: MCP clients present `Authorization: Bearer <api key>`. Keys are known only by
 * their SHA-256 (the installations file never holds a key), compared in constant time against
 * every known hash. A key selects one installation. This is apart from the platform tokens: a
 * client never sends one and its own credential never travels upstream.
 */
import { hash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { keyIdOf, type Tenant } from "../tenant.js";
import { RpcCode, sendRpcError } from "./guards/rpc.js";

/** An authenticated caller: which key (by a short, non-secret id) and which installation. */
export interface Caller {
  /** First 12 hex characters of the key's SHA-256: for logs, limits and session ownership. */
  keyId: string;
  tenant: Tenant;
}

export const MIN_API_KEY_LENGTH = 16;
const REALM = 'Bearer realm="okta-partners-mcp"';

export function sha256Hex(value: string): string {
  // The one-shot hash: no Hash object per call (it runs for every request's key).
  return hash("sha256", value, "hex");
}

/** A strong random key (256 bits), URL-safe, recognisable by its prefix in a secret scanner. */
export function generateApiKey(): string {
  return `okmcp_${randomBytes(32).toString("base64url")}`;
}

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header ?? "");
  return m?.[1];
}

export type AuthResult = { ok: true; caller: Caller } | { ok: false; reason: "missing" | "invalid" };

interface KeyEntry {
  hash: Buffer;
  keyId: string;
  tenant: Tenant;
}

export class ApiKeyRing {
  readonly #entries: KeyEntry[] = [];

  /** `keysOf`: the hashes that select each tenant, when not (yet) its own (a reload's new keys). */
  constructor(
    tenants: readonly Tenant[],
    keysOf: (tenant: Tenant) => readonly string[] = (tenant) => tenant.apiKeySha256,
  ) {
    const seen = new Map<string, string>();
    for (const tenant of tenants) {
      const keys = keysOf(tenant);
      if (keys.length === 0) throw new Error(`installation "${tenant.name}" has no API key`);
      for (const raw of keys) {
        const hex = raw.toLowerCase();
        if (!/^[0-9a-f]{64}$/.test(hex))
          throw new Error(`installation "${tenant.name}": an API key hash is not 64 hex characters`);
        const other = seen.get(hex);
        if (other)
          throw new Error(
            `installations "${other}" and "${tenant.name}" share an API key: a key must select one installation`,
          );
        seen.set(hex, tenant.name);
        this.#entries.push({ hash: Buffer.from(hex, "hex"), keyId: keyIdOf(hex), tenant });
      }
    }
  }

  /** Checks the Authorization header against every known hash, with no early exit. */
  authenticate(authorization: string | undefined): AuthResult {
    const key = bearerToken(authorization);
    if (!key) return { ok: false, reason: "missing" };
    const presented = hash("sha256", key, "buffer");
    let match: KeyEntry | undefined;
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.hash, presented) && !match) match = entry;
    }
    if (!match) return { ok: false, reason: "invalid" };
    return { ok: true, caller: { keyId: match.keyId, tenant: match.tenant } };
  }
}

/** 401 with `WWW-Authenticate: Bearer`, a JSON-RPC error body, and nothing created. */
export function sendUnauthorized(
  res: ServerResponse,
  reason: "missing" | "invalid",
  extra: Record<string, string> = {},
) {
  const challenge = reason === "invalid" ? `${REALM}, error="invalid_token"` : REALM;
  const message =
    reason === "invalid"
      ? "Unauthorized: the API key is not valid for this server"
      : "Unauthorized: send the server's API key as Authorization: Bearer <key>";
  sendRpcError(res, 401, RpcCode.ServerError, message, { "WWW-Authenticate": challenge, ...extra });
}

/**
 * Removes the client's credential from the request once it is checked, so nothing further down
 * (the SDK's request info handed to handlers, logs) can see or forward it.
 */
export function stripCredential(req: IncomingMessage): void {
  delete req.headers.authorization;
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i]?.toLowerCase() === "authorization") raw.splice(i, 2);
  }
}
