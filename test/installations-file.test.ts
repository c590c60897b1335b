/** `--installations FILE`: validation with errors that name the entry and field, never a token. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InstallationsFileError, parseInstallationsFile } from "../src/installations-file.js";
import { sha256Hex } from "../src/transport/client-auth.js";

const dir = mkdtempSync(join(tmpdir(), "okta-installations-"));
const H1 = sha256Hex("key-one-0123456789abcdef");
const H2 = sha256Hex("key-two-0123456789abcdef");

function fileWith(content: unknown, name = `f${Math.random().toString(36).slice(2)}.json`): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

function errorOf(content: unknown, env: Record<string, string> = {}): string {
  try {
    parseInstallationsFile(fileWith(content), env);
  } catch (error) {
    expect(error).toBeInstanceOf(InstallationsFileError);
    return (error as Error).message;
  }
  throw new Error("expected the file to be refused");
}

describe("installations file", () => {
  it("reads each token source; token files are relative to the file and follow rotation", () => {
    writeFileSync(join(dir, "south.token"), "tok-south-1\n");
    const file = fileWith({
      installations: [
        {
          name: "a",
          token: "tok-inline",
          base_url: "http://127.0.0.1:1/api/apps/",
          api_key_sha256: [H1.toUpperCase()],
        },
        { name: "b", token_env: "B_TOKEN", api_key_sha256: [H2] },
        { name: "c", token_file: "south.token", api_key_sha256: [sha256Hex("key-three-0123456789")] },
      ],
    });
    const [a, b, c] = parseInstallationsFile(file, {
      B_TOKEN: "tok-env",
      OKTA_API_BASE_URL: "https://dev.getokta.io/api/apps",
    });
    expect(a).toMatchObject({ name: "a", baseUrl: "http://127.0.0.1:1/api/apps", apiKeySha256: [H1] });
    expect(a!.token()).toBe("tok-inline");
    expect(b).toMatchObject({ baseUrl: "https://dev.getokta.io/api/apps" });
    expect(b!.token()).toBe("tok-env");
    expect(c!.token()).toBe("tok-south-1");
    writeFileSync(join(dir, "south.token"), "tok-south-rotated-2\n");
    expect(c!.token()).toBe("tok-south-rotated-2");
  });

  it("fingerprints what the installation is: its key hashes do not change it, anything else does", () => {
    const entry = { name: "a", token: "tok-inline", base_url: "http://127.0.0.1:1/api/apps" };
    const print = (fields: Record<string, unknown>) =>
      parseInstallationsFile(fileWith({ installations: [{ ...entry, ...fields }] }), {})[0]!.fingerprint;
    const one = print({ api_key_sha256: [H1] });
    expect(print({ api_key_sha256: [H1, H2] })).toBe(one);
    expect(print({ api_key_sha256: [H2] })).toBe(one);
    expect(print({ api_key_sha256: [H1], token: "tok-other" })).not.toBe(one);
    expect(print({ api_key_sha256: [H1], base_url: "http://127.0.0.1:2/api/apps" })).not.toBe(one);
    expect(print({ api_key_sha256: [H1], webhook_secret: "a-webhook-secret-0123" })).not.toBe(one);
  });

  it.each([
    [{ installations: [] }, "installations: must list at least one installation"],
    [
      { installations: [{ name: "a", api_key_sha256: [H1] }] },
      'installations[0] ("a").token: needs exactly one of token',
    ],
    [
      { installations: [{ name: "a", token: "sbx_top_secret", token_env: "X", api_key_sha256: [H1] }] },
      'installations[0] ("a").token: needs exactly one',
    ],
    [
      { installations: [{ name: "a", token: "sbx_top_secret", api_key_sha256: ["my-plain-key"] }] },
      "api_key_sha256[0]: must be 64 hex",
    ],
    [
      { installations: [{ name: "a", token: "sbx_top_secret", api_key_sha256: [] }] },
      "api_key_sha256: must list at least one",
    ],
    [
      { installations: [{ name: "a", token: "sbx_top_secret", api_key_sha256: [H1], tokne: 1 }] },
      'unknown field(s) "tokne"',
    ],
    [
      { installations: [{ name: "a b", token: "sbx_top_secret", api_key_sha256: [H1] }] },
      'installations[0] ("a b").name',
    ],
    [
      { installations: [{ name: "a", token: 42, api_key_sha256: [H1] }] },
      'installations[0] ("a").token: expected string',
    ],
    [
      {
        installations: [
          { name: "a", token: "sbx_top_secret", api_key_sha256: [H1] },
          { name: "a", token: "sbx_top_secret", api_key_sha256: [H2] },
        ],
      },
      'installations[1] ("a").name: another installation has this name',
    ],
    [
      {
        installations: [
          { name: "a", token: "sbx_top_secret", api_key_sha256: [H1] },
          { name: "b", token: "sbx_top_secret", api_key_sha256: [H1] },
        ],
      },
      'also selects "a"',
    ],
    [
      { installations: [{ name: "a", token_env: "MISSING_VAR", api_key_sha256: [H1] }] },
      "MISSING_VAR is not set",
    ],
    [
      { installations: [{ name: "a", token_file: "nope.token", api_key_sha256: [H1] }] },
      "cannot be read (ENOENT)",
    ],
    ['{"installations": [ {"name": "a", "token": "sbx_top_secret" ', "is not valid JSON (line 1, column"],
  ])("refuses %j: %s", (content, expected) => {
    const message = errorOf(content);
    expect(message).toContain(expected);
    expect(message).not.toContain("sbx_top_secret");
  });

  it("names an unreadable file", () => {
    expect(() => parseInstallationsFile(join(dir, "absent.json"))).toThrow(
      /absent\.json: cannot be read \(ENOENT\)/,
    );
  });
});
