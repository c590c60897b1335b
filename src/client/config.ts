/**
 * Where the client's settings come from: the environment (and a token file, for secret mounts).
 * Errors name the variable or file, never a token's content.
 */
import { readFileSync } from "node:fs";
import { followTokenFile } from "./token-file.js";
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
 * A token source for OktaClient: with OKTA_PARTNER_TOKEN the value is fixed; with
 * OKTA_PARTNER_TOKEN_FILE a rotated file is used from the next request.
 */
export function resolveTokenSource(env: Env = process.env): () => string {
  const direct = env.OKTA_PARTNER_TOKEN?.trim();
  const file = env.OKTA_PARTNER_TOKEN_FILE?.trim();
  if (direct || !file) {
    const token = resolveToken(env);
    return () => token;
  }
  return followTokenFile(file, readTokenFile);
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
