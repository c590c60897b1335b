/**
 * Which tenants the HTTP server serves and the key ring that selects them: resolved once at start
 * from one of three sources (given tenants, one installation with one key, the installations
 * file), and replaced whole when the file is read again (SIGHUP). A tenant whose entry changed
 * only its key hashes stays the same object (its sessions and 2026 leg hold it) and gets the new
 * keys in place; what was opened with a key it lost is closed (a revoked key keeps nothing open).
 */
import type { Installation } from "../../installation.js";
import {
  type LoadedTenant,
  loadInstallationsFile,
  reloadInstallationsFile,
} from "../../installations-file.js";
import type { WatchOptions } from "../../live/watch.js";
import type { Logger } from "../../logger.js";
import type { SharedStore } from "../../store/shared-store.js";
import { droppedKeys, keyIdOf, type Tenant } from "../../tenant.js";
import {
  ApiKeyRing,
  type AuthResult,
  generateApiKey,
  MIN_API_KEY_LENGTH,
  sha256Hex,
} from "../client-auth.js";

/** What to serve (the fields of HttpServerArgs that say it) and what loading the file needs. */
export interface TenantSources {
  tenants?: Tenant[];
  installations?: Installation[];
  apiKey?: string;
  installationsFile?: string;
  env: Record<string, string | undefined>;
  logger: Logger;
  store: SharedStore;
  watch?: WatchOptions | false;
}

export interface ResolvedTenants {
  tenants: Tenant[];
  /** Loaded from the file by this server: closed on shutdown. */
  owned: boolean;
  apiKey?: string;
  generated: boolean;
}

/** Tenants for the three ways of being told what to serve; `owned` ones are closed on shutdown. */
export async function resolveTenants(sources: TenantSources): Promise<ResolvedTenants> {
  if (sources.tenants && sources.tenants.length > 0)
    return { tenants: sources.tenants, owned: false, generated: false };
  if (sources.installations && sources.installations.length > 0) {
    if (sources.installations.length > 1) {
      throw new Error("several installations need key hashes each: pass `tenants` or --installations FILE");
    }
    const given = sources.apiKey ?? sources.env.OKTA_MCP_API_KEY?.trim();
    if (given !== undefined && given.length < MIN_API_KEY_LENGTH) {
      throw new Error(`OKTA_MCP_API_KEY is too short: use at least ${MIN_API_KEY_LENGTH} random characters`);
    }
    const apiKey = given || generateApiKey();
    const installation = sources.installations[0]!;
    return {
      tenants: [{ name: installation.name, installation, apiKeySha256: [sha256Hex(apiKey)] }],
      owned: false,
      apiKey,
      generated: !given,
    };
  }
  if (sources.installationsFile) {
    const tenants = await loadInstallationsFile(sources.installationsFile, sources.logger, sources.env, {
      sharedStore: sources.store,
      watch: sources.watch,
    });
    return { tenants, owned: true, generated: false };
  }
  throw new Error("nothing to serve: pass an installation or --installations FILE");
}

/** What the rest of the server does when the tenants change (in this order, on each reload). */
export interface TenantHooks {
  /** The new list, once it is in place. */
  followed(tenants: readonly Tenant[]): Promise<void>;
  /** A tenant no longer served: end what it has open, then its installation is closed. */
  retired(tenant: Tenant): Promise<void>;
  /** A key that no longer selects `tenant`: end what it opened there; says how much that was. */
  revoked(tenant: Tenant, keyId: string): Promise<{ sessions: number; listenStreams: number }>;
}

/** The tenants served now and their key ring; both change on reload, so read them per request. */
export class ServedTenants {
  #tenants: Tenant[];
  #keys: ApiKeyRing;

  constructor(
    private readonly resolved: ResolvedTenants,
    private readonly sources: TenantSources,
  ) {
    this.#tenants = resolved.tenants;
    this.#keys = new ApiKeyRing(this.#tenants);
  }

  get all(): readonly Tenant[] {
    return this.#tenants;
  }

  authenticate(header: string | undefined): AuthResult {
    return this.#keys.authenticate(header);
  }

  /**
   * Reads the installations file again: adds, replaces and removes tenants, and swaps the keys of
   * kept ones (a file that no longer makes a valid key ring changes nothing). The new ring is in
   * place before anything is closed, so a revoked key is refused from that moment. Without a file,
   * re-reads whoami of each installation.
   */
  async reload(hooks: TenantHooks): Promise<{ added: string[]; removed: string[] }> {
    const file = this.sources.installationsFile;
    if (!file || !this.resolved.owned) {
      await Promise.all(this.#tenants.map((t) => t.installation.refreshWhoami()));
      return { added: [], removed: [] };
    }
    const { logger, env } = this.sources;
    const next = await reloadInstallationsFile(file, this.#tenants as LoadedTenant[], logger, env, {
      sharedStore: this.sources.store,
      watch: this.sources.watch,
    });
    const newKeys = new Map<Tenant, readonly string[]>(next.rekeyed.map((r) => [r.tenant, r.apiKeySha256]));
    let ring: ApiKeyRing;
    try {
      ring = new ApiKeyRing(next.tenants, (t) => newKeys.get(t) ?? t.apiKeySha256);
    } catch (error) {
      await closeAll(next.added);
      throw error;
    }
    const revoked = next.rekeyed.flatMap(({ tenant, apiKeySha256 }) =>
      droppedKeys(tenant.apiKeySha256, apiKeySha256).map((hash) => ({ tenant, hash })),
    );
    for (const { tenant, apiKeySha256 } of next.rekeyed) tenant.apiKeySha256 = apiKeySha256;
    this.#tenants = next.tenants;
    this.#keys = ring;
    for (const { tenant, hash } of revoked) await this.#revoke(tenant, hash, hooks);
    await hooks.followed(this.#tenants);
    for (const gone of next.removed) {
      await hooks.retired(gone);
      await gone.installation.close().catch(() => {});
    }
    const added = next.added.map((t) => t.name);
    const removed = next.removed.map((t) => t.name);
    const rekeyed = next.rekeyed.map((r) => r.tenant.name);
    logger.info(
      { added, removed, rekeyed, installations: this.#tenants.length },
      "installations file reloaded",
    );
    return { added, removed };
  }

  /** Ends what `hash`'s key opened on `tenant`, and says so with the key's id and why. */
  async #revoke(tenant: Tenant, hash: string, hooks: TenantHooks): Promise<void> {
    const keyId = keyIdOf(hash);
    const now = this.#tenants.find((t) => t.apiKeySha256.some((k) => k.toLowerCase() === hash));
    const reason = now
      ? `the key now selects installation "${now.name}"`
      : "the key was removed from the installations file";
    const closed = await hooks.revoked(tenant, keyId);
    this.sources.logger.info(
      { installation: tenant.name, keyId, reason, ...closed },
      "API key no longer selects this installation; what it had open there is closed",
    );
  }

  /** Closes the installations this server loaded itself (none when they were given to it). */
  async close(): Promise<void> {
    if (this.resolved.owned) await closeAll(this.#tenants);
  }
}

/** Closes installations, each on its own: one that fails to close does not keep the others open. */
async function closeAll(tenants: readonly Tenant[]): Promise<void> {
  await Promise.all(tenants.map((t) => t.installation.close().catch(() => {})));
}
