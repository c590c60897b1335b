/**
 * Which tenants the HTTP server serves and the key ring that selects them: resolved once at start
 * from one of three sources (given tenants, one installation with one key, the installations
 * file), and replaced whole when the file is read again (SIGHUP).
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
import type { Tenant } from "../../tenant.js";
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
   * Reads the installations file again: adds, replaces and removes tenants (a file that no longer
   * makes a valid key ring changes nothing). Without a file, re-reads whoami of each installation.
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
    let ring: ApiKeyRing;
    try {
      ring = new ApiKeyRing(next.tenants);
    } catch (error) {
      await closeAll(next.added);
      throw error;
    }
    this.#tenants = next.tenants;
    this.#keys = ring;
    await hooks.followed(this.#tenants);
    for (const gone of next.removed) {
      await hooks.retired(gone);
      await gone.installation.close().catch(() => {});
    }
    const added = next.added.map((t) => t.name);
    const removed = next.removed.map((t) => t.name);
    logger.info({ added, removed, installations: this.#tenants.length }, "installations file reloaded");
    return { added, removed };
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
