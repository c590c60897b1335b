/** Client API keys: hashing, selection of the installation, generation. */
import { describe, expect, it } from "vitest";
import type { Installation } from "../../src/installation.js";
import { keyIdOf } from "../../src/tenant.js";
import { ApiKeyRing, bearerToken, generateApiKey, sha256Hex } from "../../src/transport/client-auth.js";

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
  it("names a key by the first 12 hex characters of its hash, however the hash was written", () => {
    const b = ring.authenticate("Bearer key-b-0123456789abcdef");
    const hash = sha256Hex("key-b-0123456789abcdef");
    expect(keyIdOf(hash.toUpperCase())).toBe(hash.slice(0, 12));
    expect(b.ok && b.caller.keyId).toBe(keyIdOf(hash.toUpperCase()));
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
