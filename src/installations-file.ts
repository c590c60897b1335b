/**
 * `--installations FILE`: several installations served by one HTTP server, each selected by the
 * SHA-256 of the API keys its clients send. The file holds no API key and, preferably, no token
 * (`token_file` or `token_env`). Validated at start; every error names the entry and the field and
 * never shows a token.
 *
 * {
 *   "installations": [
 *     { "name": "north-school", "token_env": "NORTH_TOKEN", "api_key_sha256": ["<64 hex>"] },
 *     { "name": "south-school", "token_file": "secrets/south.token", "base_url": "https://dev.getokta.io/api/apps",
 *       "api_key_sha256": ["<64 hex>", "<64 hex>"], "webhook_secret_env": "SOUTH_WEBHOOK_SECRET" }
 *   ]
 * }
 *
 * Token files are watched (rotation) and the file is read again on SIGHUP: entries that did not
 * change keep their installation and sessions; changed or removed ones are replaced or closed. An
 * entry whose only change is its key hashes keeps its installation too, with its new keys
 * (`rekeyed`): rotating a key is not replacing the installation.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { resolveBaseUrl } from "./client/config.js";
import { followTokenFile } from "./client/token-file.js";
import { parseBaseUrl } from "./client/url.js";
import { Installation } from "./installation.js";
import type { WatchOptions } from "./live/watch.js";
import type { Logger } from "./logger.js";
import type { SharedStore } from "./store/shared-store.js";
import { droppedKeys, keyIdOf, type Tenant } from "./tenant.js";
import { canonicalJson } from "./text/canonical-json.js";
import { parseJson } from "./text/json.js";

export class InstallationsFileError extends Error {
  override name = "InstallationsFileError";
}

const Sha256Hex = z
  .string()
  .regex(
    /^[0-9a-fA-F]{64}$/,
    'must be 64 hex characters: the SHA-256 of the key (printf %s "$KEY" | sha256sum), not the key',
  )
  .transform((s) => s.toLowerCase());

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be the name of an environment variable");

const Entry = z
  .strictObject({
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
        "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
      ),
    token: z.string().trim().min(1, "must not be empty").optional(),
    token_file: z.string().min(1, "must not be empty").optional(),
    token_env: EnvName.optional(),
    base_url: z
      .string()
      .refine(
        (u) => {
          try {
            parseBaseUrl(u);
            return true;
          } catch {
            return false;
          }
        },
        { message: "must be an absolute http(s) URL without credentials, query or fragment" },
      )
      .optional(),
    api_key_sha256: z.array(Sha256Hex).min(1, "must list at least one key hash"),
    // This installation's own webhook secret (and the one being rotated out), instead of or
    // besides OKTA_WEBHOOK_SECRET; valid only for events naming this installation's tenant.
    webhook_secret: z.string().trim().min(16, "must be at least 16 characters").optional(),
    webhook_secret_env: EnvName.optional(),
    webhook_secret_previous: z.string().trim().min(16, "must be at least 16 characters").optional(),
    webhook_secret_previous_env: EnvName.optional(),
  })
  .refine((e) => [e.token, e.token_file, e.token_env].filter((t) => t !== undefined).length === 1, {
    message: "needs exactly one of token, token_file or token_env",
    path: ["token"],
  })
  .refine((e) => e.webhook_secret === undefined || e.webhook_secret_env === undefined, {
    message: "give webhook_secret or webhook_secret_env, not both",
    path: ["webhook_secret"],
  })
  .refine((e) => e.webhook_secret_previous === undefined || e.webhook_secret_previous_env === undefined, {
    message: "give webhook_secret_previous or webhook_secret_previous_env, not both",
    path: ["webhook_secret_previous"],
  });

const FileSchema = z.strictObject({
  installations: z.array(Entry).min(1, "must list at least one installation"),
});

export type InstallationEntry = z.infer<typeof Entry>;

/** Where in the file an issue is, e.g. `installations[1] ("south-school").api_key_sha256[0]`. */
function locate(raw: unknown, path: readonly PropertyKey[]): string {
  let out = "";
  let node: unknown = raw;
  for (const key of path) {
    if (typeof key === "number") {
      out += `[${key}]`;
      node = Array.isArray(node) ? node[key] : undefined;
      const name = (node as { name?: unknown } | undefined)?.name;
      if (
        out.startsWith("installations[") &&
        out.indexOf("]") === out.length - 1 &&
        typeof name === "string"
      ) {
        out += ` ("${name}")`;
      }
    } else {
      out += out ? `.${String(key)}` : String(key);
      node = (node as Record<PropertyKey, unknown> | undefined)?.[key];
    }
  }
  return out || "(top level)";
}

export interface ParsedEntry {
  name: string;
  baseUrl: string;
  token: () => string;
  /** Set when the token comes from a file: it is watched for rotation. */
  tokenFile?: string;
  apiKeySha256: string[];
  webhookSecrets: string[];
  /**
   * A hash of everything the entry says but its key hashes (never shown): what the installation
   * is. An entry with the same fingerprint is kept on reload, whatever keys select it now.
   */
  fingerprint: string;
}

/** Reads and validates the file; returns its entries with token sources, never logging a token. */
export function parseInstallationsFile(
  file: string,
  env: Record<string, string | undefined> = process.env,
): ParsedEntry[] {
  const where = `installations file ${file}`;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new InstallationsFileError(
      `${where}: cannot be read (${(error as { code?: string }).code ?? "unreadable"})`,
    );
  }
  const json = parseJson(text);
  if (!json.ok) {
    const position = Number(/position (\d+)/.exec(json.message)?.[1] ?? Number.NaN);
    const before = Number.isNaN(position) ? undefined : text.slice(0, position).split("\n");
    const at = before ? ` (line ${before.length}, column ${before.at(-1)!.length + 1})` : "";
    throw new InstallationsFileError(`${where} is not valid JSON${at}`);
  }
  const parsed = FileSchema.safeParse(json.value);
  if (!parsed.success) {
    const lines = parsed.error.issues
      .slice(0, 10)
      .map((i) => `  ${locate(json.value, i.path)}: ${messageOf(i)}`);
    throw new InstallationsFileError(`${where} is not valid:\n${lines.join("\n")}`);
  }

  const names = new Set<string>();
  const hashes = new Map<string, string>();
  return parsed.data.installations.map((entry, index) => {
    const at = `${where}: installations[${index}] ("${entry.name}")`;
    if (names.has(entry.name))
      throw new InstallationsFileError(`${at}.name: another installation has this name`);
    names.add(entry.name);
    for (const hash of entry.api_key_sha256) {
      const other = hashes.get(hash);
      if (other) {
        throw new InstallationsFileError(
          `${at}.api_key_sha256: the hash ${keyIdOf(hash)}... also selects "${other}"; a key must select one installation`,
        );
      }
      hashes.set(hash, entry.name);
    }
    let baseUrl: string;
    try {
      baseUrl = entry.base_url?.replace(/\/+$/, "") ?? resolveBaseUrl(env);
    } catch (error) {
      throw new InstallationsFileError(`${at}.base_url: no base_url and ${(error as Error).message}`);
    }
    return {
      name: entry.name,
      baseUrl,
      token: tokenSource(entry, at, dirname(file), env),
      tokenFile: entry.token_file === undefined ? undefined : resolve(dirname(file), entry.token_file),
      apiKeySha256: entry.api_key_sha256,
      webhookSecrets: webhookSecretsOf(entry, at, env),
      fingerprint: fingerprintOf(entry, baseUrl),
    };
  });
}

/** What the installation is, apart from which keys reach it: those change in place (rotation). */
function fingerprintOf(entry: InstallationEntry, baseUrl: string): string {
  const { api_key_sha256: _keys, ...installation } = entry;
  return createHash("sha256")
    .update(canonicalJson({ entry: installation, baseUrl }))
    .digest("hex");
}

/** Whether two lists of key hashes name the same keys (hex in any case, any order). */
const sameKeys = (a: readonly string[], b: readonly string[]) =>
  droppedKeys(a, b).length === 0 && droppedKeys(b, a).length === 0;

/** The entry's webhook secrets, current first; a named variable must be set. */
function webhookSecretsOf(
  entry: InstallationEntry,
  at: string,
  env: Record<string, string | undefined>,
): string[] {
  const pick = (inline: string | undefined, name: string | undefined, field: string): string | undefined => {
    if (inline !== undefined) return inline;
    if (name === undefined) return undefined;
    const value = env[name]?.trim();
    if (!value)
      throw new InstallationsFileError(
        `${at}.${field}: the environment variable ${name} is not set or empty`,
      );
    return value;
  };
  return [
    pick(entry.webhook_secret, entry.webhook_secret_env, "webhook_secret_env"),
    pick(entry.webhook_secret_previous, entry.webhook_secret_previous_env, "webhook_secret_previous_env"),
  ].filter((s): s is string => s !== undefined);
}

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys")
    return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  if (issue.code === "invalid_type") return `expected ${issue.expected}`;
  // Never the input value: it may be a token.
  return issue.message;
}

/** A token source; a token file is re-read when it changes (rotation), keeping the last good token. */
function tokenSource(
  entry: InstallationEntry,
  at: string,
  baseDir: string,
  env: Record<string, string | undefined>,
): () => string {
  if (entry.token !== undefined) {
    const token = entry.token;
    return () => token;
  }
  if (entry.token_env !== undefined) {
    const token = env[entry.token_env]?.trim();
    if (!token)
      throw new InstallationsFileError(
        `${at}.token_env: the environment variable ${entry.token_env} is not set or empty`,
      );
    return () => token;
  }
  const file = resolve(baseDir, entry.token_file!);
  const read = (path: string): string => {
    let content: string;
    try {
      content = readFileSync(path, "utf8");
    } catch (error) {
      throw new InstallationsFileError(
        `${at}.token_file: "${path}" cannot be read (${(error as { code?: string }).code ?? "unreadable"})`,
      );
    }
    const token = content.trim();
    if (!token) throw new InstallationsFileError(`${at}.token_file: "${path}" is empty`);
    return token;
  };
  return followTokenFile(file, read);
}

export interface LoadOptions {
  /** Shared state for the installations' write memory (Redis across instances). */
  sharedStore?: SharedStore;
  /** How token files and whoami are followed; `false`: not at all. */
  watch?: WatchOptions | false;
}

/** A tenant as loaded from the file, with the entry's fingerprint for reloads. */
export type LoadedTenant = Tenant & { fingerprint: string };

/**
 * Loads the file into ready installations: each gets its own API client (its own connection pool
 * and rate budget) and has read `whoami`, whose scopes decide its tool list.
 */
export async function loadInstallationsFile(
  file: string,
  logger: Logger,
  env: Record<string, string | undefined> = process.env,
  options: LoadOptions = {},
): Promise<LoadedTenant[]> {
  const { tenants } = await reloadInstallationsFile(file, [], logger, env, options);
  return tenants;
}

/** What a reload does, by entry name (pure): keep unchanged entries, replace changed ones. */
export function planReload(
  current: readonly { name: string; fingerprint: string }[],
  next: readonly { name: string; fingerprint: string }[],
): { keep: string[]; add: string[]; remove: string[] } {
  const now = new Map(current.map((c) => [c.name, c.fingerprint]));
  const later = new Map(next.map((n) => [n.name, n.fingerprint]));
  return {
    keep: next.filter((n) => now.get(n.name) === n.fingerprint).map((n) => n.name),
    add: next.filter((n) => now.get(n.name) !== n.fingerprint).map((n) => n.name),
    remove: current.filter((c) => later.get(c.name) !== c.fingerprint).map((c) => c.name),
  };
}

/** A kept tenant whose entry now lists other key hashes: the caller swaps them in. */
export interface Rekeyed {
  tenant: LoadedTenant;
  apiKeySha256: string[];
}

/**
 * Reads the file again against what is served: unchanged entries keep their installation (their
 * key hashes may have changed: `rekeyed`, not yet applied, so a reload the caller refuses changes
 * nothing); new and changed ones get a new one (which must read whoami, or the whole reload fails
 * and nothing changes). The caller closes `removed` (their sessions first).
 */
export async function reloadInstallationsFile(
  file: string,
  current: readonly LoadedTenant[],
  logger: Logger,
  env: Record<string, string | undefined> = process.env,
  options: LoadOptions = {},
): Promise<{ tenants: LoadedTenant[]; added: LoadedTenant[]; removed: LoadedTenant[]; rekeyed: Rekeyed[] }> {
  const entries = parseInstallationsFile(file, env);
  const plan = planReload(current, entries);
  const byName = new Map(current.map((t) => [t.name, t]));
  const added: LoadedTenant[] = entries
    .filter((e) => plan.add.includes(e.name))
    .map((e) => ({
      name: e.name,
      apiKeySha256: e.apiKeySha256,
      webhookSecrets: e.webhookSecrets,
      fingerprint: e.fingerprint,
      installation: new Installation({
        baseUrl: e.baseUrl,
        token: e.token,
        name: e.name,
        sharedStore: options.sharedStore,
        logger, // the installation binds its own name to its log lines
      }),
    }));
  const results = await Promise.allSettled(added.map((t) => t.installation.refreshWhoami()));
  const failed = results.flatMap((r, i) =>
    r.status === "rejected" ? [`  "${added[i]!.name}": ${(r.reason as Error).message}`] : [],
  );
  if (failed.length > 0) {
    await Promise.all(added.map((t) => t.installation.close().catch(() => {})));
    throw new InstallationsFileError(
      `could not read GET /whoami for ${failed.length} installation(s):\n${failed.join("\n")}`,
    );
  }
  if (options.watch !== false) {
    for (const t of added) {
      const entry = entries.find((e) => e.name === t.name)!;
      t.installation.watch({ ...options.watch, tokenFile: entry.tokenFile });
    }
  }
  const tenants = entries.map((e) =>
    plan.keep.includes(e.name) ? byName.get(e.name)! : added.find((t) => t.name === e.name)!,
  );
  const rekeyed = entries.flatMap((e) => {
    const kept = plan.keep.includes(e.name) ? byName.get(e.name)! : undefined;
    return kept && !sameKeys(kept.apiKeySha256, e.apiKeySha256)
      ? [{ tenant: kept, apiKeySha256: e.apiKeySha256 }]
      : [];
  });
  return { tenants, added, removed: current.filter((t) => plan.remove.includes(t.name)), rekeyed };
}
