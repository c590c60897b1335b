/** Shared by the packaging tests: the repository root and its files, read as the user meets them. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PackageJson } from "../../scripts/build-manifests.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export function readText(path: string): string {
  return readFileSync(join(ROOT, path), "utf8");
}

export function readJson(path: string): unknown {
  return JSON.parse(readText(path));
}

/**
 * A value that looks like a credential pasted inline: a long run of token characters with no
 * path or URL shape, a `Bearer` value, or a known key prefix. Placeholders such as
 * `${input:okta-partner-token}` and file paths are not.
 */
export function looksLikeSecret(value: string): boolean {
  if (/\$\{[^}]+\}/.test(value)) return false;
  if (/^Bearer\s+\S{8,}/i.test(value)) return true;
  if (/^(okmcp_|sk-|ghp_|eyJ)/.test(value)) return true;
  return /^[A-Za-z0-9_\-+=.]{24,}$/.test(value) && !value.includes("/");
}

/** Every string anywhere inside a parsed JSON value. */
export function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === "object") return Object.values(value).flatMap(stringsIn);
  return [];
}

export const pkg = readJson("package.json") as PackageJson & {
  files: string[];
  exports: Record<string, string | Record<string, string>>;
  types: string;
  main?: string;
};
