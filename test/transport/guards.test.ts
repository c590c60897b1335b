/** The pure parts of the HTTP layer: Host/Origin allow-lists, content negotiation, key hashing. */
import { describe, expect, it } from "vitest";
import type { Installation } from "../../src/installation.js";
import { ApiKeyRing, bearerToken, generateApiKey, sha256Hex } from "../../src/transport/client-auth.js";
import {
  acceptsFor,
  isHostAllowed,
  isJsonContentType,
  isOriginAllowed,
  parseJson,
} from "../../src/transport/guards.js";

describe("Host allow-list", () => {
  it.each([
    ["localhost:3333", [], true],
    ["127.0.0.1", [], true],
    ["[::1]:8080", [], true],
    ["LOCALHOST:1", [], true],
    ["evil.example", [], false],
    ["localhost.evil.example", [], false],
    ["127.0.0.1.nip.io:3333", [], false],
    [undefined, [], false],
    ["", [], false],
    ["a b", [], false],
    ["mcp.example.com", ["mcp.example.com"], true],
    ["mcp.example.com:443", ["mcp.example.com"], true],
    ["mcp.example.com:444", ["mcp.example.com:443"], false],
    ["mcp.example.com:443", ["mcp.example.com:443"], true],
    ["anything", ["*"], true],
  ] as const)("%s with %j -> %s", (host, allowed, expected) => {
    expect(isHostAllowed(host, allowed)).toBe(expected);
  });
});

describe("Origin allow-list", () => {
  it.each([
    [undefined, [], true],
    ["http://localhost:5173", [], true],
    ["https://127.0.0.1", [], true],
    ["http://[::1]:3000", [], true],
    ["null", [], false],
    ["https://evil.example", [], false],
    ["http://localhost.evil.example", [], false],
    ["file://", [], false],
    ["https://app.example.com", ["https://app.example.com"], true],
    ["https://app.example.com:443", ["https://APP.example.com/"], true],
    ["http://app.example.com", ["https://app.example.com"], false],
    ["null", ["*"], true],
  ] as const)("%s with %j -> %s", (origin, allowed, expected) => {
    expect(isOriginAllowed(origin, allowed)).toBe(expected);
  });
});

describe("content negotiation", () => {
  it("accepts JSON content types by media type, not by substring", () => {
    expect(isJsonContentType("application/json")).toBe(true);
    expect(isJsonContentType("Application/JSON; charset=utf-8")).toBe(true);
    expect(isJsonContentType("text/plain; a=application/json")).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });
  it("needs both JSON and SSE in Accept for POST, SSE for GET", () => {
    expect(acceptsFor("POST", "application/json, text/event-stream")).toBe(true);
    expect(acceptsFor("POST", "application/json")).toBe(false);
    expect(acceptsFor("GET", "text/event-stream")).toBe(true);
    expect(acceptsFor("GET", undefined)).toBe(false);
    expect(acceptsFor("DELETE", undefined)).toBe(true);
  });
  it("parses JSON without echoing the input", () => {
    const bad = parseJson('{"token":"sbx_secret_value" oops}');
    expect(bad.ok).toBe(false);
    expect(bad.ok ? "" : bad.message).not.toContain("sbx_secret_value");
  });
});

describe("API keys", () => {
  const fake = (name: string) => ({ name }) as unknown as Installation;
  const ring = new ApiKeyRing([
    { name: "a", installation: fake("a"), apiKeySha256: [sha256Hex("key-a-0123456789abcdef")] },
    { name: "b", installation: fake("b"), apiKeySha256: [sha256Hex("key-b-0123456789abcdef").toUpperCase()] },
  ]);

  it("selects the installation of the key, by its hash", () => {
    const a = ring.authenticate("Bearer key-a-0123456789abcdef");
    const b = ring.authenticate("bearer   key-b-0123456789abcdef");
    expect(a.ok && a.caller.tenant.name).toBe("a");
    expect(b.ok && b.caller.tenant.name).toBe("b");
    expect(a.ok && a.caller.keyId).toBe(sha256Hex("key-a-0123456789abcdef").slice(0, 12));
  });
  it("refuses missing, malformed and unknown keys", () => {
    expect(ring.authenticate(undefined)).toEqual({ ok: false, reason: "missing" });
    expect(ring.authenticate("Basic a2V5")).toEqual({ ok: false, reason: "missing" });
    expect(ring.authenticate("Bearer a b")).toEqual({ ok: false, reason: "missing" });
    expect(ring.authenticate("Bearer key-c-0123456789abcdef")).toEqual({ ok: false, reason: "invalid" });
  });
  it("refuses a key that would select two installations", () => {
    const hash = sha256Hex("shared-key-0123456789");
    expect(
      () =>
        new ApiKeyRing([
          { name: "a", installation: fake("a"), apiKeySha256: [hash] },
          { name: "b", installation: fake("b"), apiKeySha256: [hash] },
        ]),
    ).toThrow(/share an API key/);
  });
  it("generates strong, distinct keys", () => {
    const k = generateApiKey();
    expect(k).toMatch(/^okmcp_[A-Za-z0-9_-]{43}$/);
    expect(generateApiKey()).not.toBe(k);
    expect(bearerToken(`Bearer ${k}`)).toBe(k);
  });
});
