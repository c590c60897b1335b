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
