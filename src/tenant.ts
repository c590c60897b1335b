/**
 * A tenant: one installation as the HTTP server serves it, with the hashes of the API keys that
 * select it. Apart from transport/ so the installations file can produce tenants without importing
 * the HTTP layer.
 */
import type { Installation } from "./installation.js";

/** One installation as the HTTP transport serves it, and the hashes of the keys that select it. */
export interface Tenant {
  name: string;
  installation: Installation;
  apiKeySha256: readonly string[];
  /** This installation's own webhook secrets (current, then previous), valid for its tenant only. */
  webhookSecrets?: readonly string[];
}

/** The key hashes in `before` that `after` no longer lists (hex in any case), each once, lower case. */
export function droppedKeys(before: readonly string[], after: readonly string[]): string[] {
  const kept = new Set(after.map((k) => k.toLowerCase()));
  return [...new Set(before.map((k) => k.toLowerCase()))].filter((k) => !kept.has(k));
}

/**
 * A key's id, the one name it has in logs, limits, session ownership and the served list: the
 * first 12 hex characters of its SHA-256 (48 bits, not enough to find the key by).
 */
export function keyIdOf(keyHash: string): string {
  return keyHash.slice(0, 12).toLowerCase();
}
