/**
 * Where the client's settings come from: the environment (and a token file, for secret mounts).
 * Errors name the variable or file, never a token's content.
 */
import { readFileSync, statSync } from "node:fs";
import { parseBaseUrl } from "./url.js";

export const DEFAULT_BASE_URL = "https://getokta.io/api/apps";

export class ClientConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ClientConfigError";
  }
}

type Env = Record<string, string | undefined>;

function readTokenFile(file: string): string {
  let content: string;
  try {
    content = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code ?? "unreadable";
    throw new ClientConfigError(`OKTA_PARTNER_TOKEN_FILE "${file}" cannot be read (${code})`);
  }
  const token = content.trim();
  if (token === "") throw new ClientConfigError(`OKTA_PARTNER_TOKEN_FILE "${file}" is empty`);
  return token;
}

/** OKTA_PARTNER_TOKEN, else the trimmed content of the file named by OKTA_PARTNER_TOKEN_FILE. */
export function resolveToken(env: Env = process.env): string {
  const direct = env.OKTA_PARTNER_TOKEN?.trim();
  if (direct) return direct;
  const file = env.OKTA_PARTNER_TOKEN_FILE?.trim();
  if (file) return readTokenFile(file);
  throw new ClientConfigError("No API token: set OKTA_PARTNER_TOKEN or OKTA_PARTNER_TOKEN_FILE");
}

/**
 * A token source for OktaClient that follows a rotated token file: the file is re-read when its
 * modification time or size changes. If a later read fails (the file is being replaced), the last
 * good token is kept rather than failing requests. With OKTA_PARTNER_TOKEN, the value is fixed.
 */
export function resolveTokenSource(env: Env = process.env): () => string {
  const direct = env.OKTA_PARTNER_TOKEN?.trim();
  const file = env.OKTA_PARTNER_TOKEN_FILE?.trim();
  let token = resolveToken(env);
  if (direct || !file) return () => token;
  let stamp = "";
  try {
    const s = statSync(file);
    stamp = `${s.mtimeMs}:${s.size}`;
  } catch {}
  return () => {
    try {
      const s = statSync(file);
      const next = `${s.mtimeMs}:${s.size}`;
      if (next !== stamp) {
        token = readTokenFile(file);
        stamp = next;
      }
    } catch {
      // Keep the last good token; a revoked one will surface as a 401 from the platform.
    }
    return token;
  };
}

/** OKTA_API_BASE_URL (default production), validated as an absolute http(s) URL. */
export function resolveBaseUrl(env: Env = process.env): string {
  const raw = env.OKTA_API_BASE_URL?.trim() || DEFAULT_BASE_URL;
  try {
    parseBaseUrl(raw);
  } catch (error) {
    throw new ClientConfigError(`OKTA_API_BASE_URL: ${(error as Error).message}`);
  }
  return raw.replace(/\/+$/, "");
}
