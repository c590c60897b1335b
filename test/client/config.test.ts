import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ClientConfigError,
  DEFAULT_BASE_URL,
  resolveBaseUrl,
  resolveToken,
  resolveTokenSource,
} from "../../src/client/config.js";

const dir = mkdtempSync(join(tmpdir(), "okta-client-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("resolveToken", () => {
  it("reads OKTA_PARTNER_TOKEN, trimmed", () => {
    expect(resolveToken({ OKTA_PARTNER_TOKEN: "  okp_env_token \n" })).toBe("okp_env_token");
  });

  it("reads the file named by OKTA_PARTNER_TOKEN_FILE, trimmed", () => {
    const file = join(dir, "token");
    writeFileSync(file, "okp_file_token\n");
    expect(resolveToken({ OKTA_PARTNER_TOKEN_FILE: file })).toBe("okp_file_token");
    // The variable wins over the file when both are set.
    expect(resolveToken({ OKTA_PARTNER_TOKEN: "okp_env", OKTA_PARTNER_TOKEN_FILE: file })).toBe("okp_env");
  });

  it("names an unreadable or empty file, never its content", () => {
    const missing = join(dir, "missing");
    expect(() => resolveToken({ OKTA_PARTNER_TOKEN_FILE: missing })).toThrow(ClientConfigError);
    expect(() => resolveToken({ OKTA_PARTNER_TOKEN_FILE: missing })).toThrow(
      `"${missing}" cannot be read (ENOENT)`,
    );
    const blank = join(dir, "blank");
    writeFileSync(blank, " \n\t");
    expect(() => resolveToken({ OKTA_PARTNER_TOKEN_FILE: blank })).toThrow(`"${blank}" is empty`);
    // A directory is unreadable as a file; the message must not echo anything read.
    expect(() => resolveToken({ OKTA_PARTNER_TOKEN_FILE: dir })).toThrow(/cannot be read \(EISDIR\)/);
  });

  it("explains what to set when nothing is set", () => {
    expect(() => resolveToken({})).toThrow(/OKTA_PARTNER_TOKEN or OKTA_PARTNER_TOKEN_FILE/);
    expect(() => resolveToken({ OKTA_PARTNER_TOKEN: "   " })).toThrow(ClientConfigError);
  });

  it("follows a rotated token file", () => {
    const file = join(dir, "rotating");
    writeFileSync(file, "okp_old_token");
    const source = resolveTokenSource({ OKTA_PARTNER_TOKEN_FILE: file });
    expect(source()).toBe("okp_old_token");
    writeFileSync(file, "okp_new_token_rotated");
    expect(source()).toBe("okp_new_token_rotated");
    rmSync(file);
    // Mid-replacement the file may be gone: keep the last good token.
    expect(source()).toBe("okp_new_token_rotated");
  });
});

describe("resolveBaseUrl", () => {
  it("defaults to production", () => {
    expect(resolveBaseUrl({})).toBe(DEFAULT_BASE_URL);
    expect(DEFAULT_BASE_URL).toBe("https://getokta.io/api/apps");
  });
  it("accepts an http(s) URL and drops a trailing slash", () => {
    expect(resolveBaseUrl({ OKTA_API_BASE_URL: "https://dev.getokta.io/api/apps/" })).toBe(
      "https://dev.getokta.io/api/apps",
    );
    expect(resolveBaseUrl({ OKTA_API_BASE_URL: "http://127.0.0.1:8787" })).toBe("http://127.0.0.1:8787");
  });
  it("rejects anything else with a clear error", () => {
    expect(() => resolveBaseUrl({ OKTA_API_BASE_URL: "getokta.io" })).toThrow(
      /OKTA_API_BASE_URL: .*absolute http/,
    );
    expect(() => resolveBaseUrl({ OKTA_API_BASE_URL: "ftp://getokta.io" })).toThrow(/http or https/);
  });
});
