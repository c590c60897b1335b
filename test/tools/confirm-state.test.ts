/** The key that signs 2026-07-28 confirmation states: read from the environment, checked at start. */
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.js";
import { endpointOf } from "../../src/platform/catalog.js";
import { requestStateKeyFor } from "../../src/serve.js";
import { requestStateKeyFrom } from "../../src/tools/confirm-state.js";
import { NotConfirmedError } from "../../src/tools/errors.js";

const KEY_BYTES = Buffer.from("0123456789abcdef0123456789abcdef");

describe("OKTA_MCP_REQUEST_STATE_KEY", () => {
  it("takes hex or base64 (base64url too) of at least 32 bytes, as a key shared by instances", () => {
    for (const raw of [
      KEY_BYTES.toString("hex"),
      KEY_BYTES.toString("base64"),
      KEY_BYTES.toString("base64url"),
    ]) {
      const key = requestStateKeyFrom({ OKTA_MCP_REQUEST_STATE_KEY: ` ${raw}\n` });
      expect(key.shared).toBe(true);
      expect(Buffer.from(key.key).equals(KEY_BYTES)).toBe(true);
    }
  });
  it("refuses a short key or one that is neither hex nor base64, naming the variable", () => {
    expect(() => requestStateKeyFrom({ OKTA_MCP_REQUEST_STATE_KEY: "abcd".repeat(8) })).toThrow(
      "OKTA_MCP_REQUEST_STATE_KEY is 16 bytes; use at least 32 random bytes",
    );
    expect(() => requestStateKeyFrom({ OKTA_MCP_REQUEST_STATE_KEY: "not a key!" })).toThrow(
      "OKTA_MCP_REQUEST_STATE_KEY is neither hex nor base64",
    );
  });
  it("unset: one random key for this process, not shared", () => {
    const a = requestStateKeyFrom({});
    const b = requestStateKeyFrom({ OKTA_MCP_REQUEST_STATE_KEY: " " });
    expect(a.shared).toBe(false);
    expect(a.key.byteLength).toBe(32);
    expect(b.key).toBe(a.key);
  });
});

describe("the key at start", () => {
  const http = { transport: "http" as const };
  const stdio = { transport: "stdio" as const };
  it("over HTTP with REDIS_URL (several instances) and no key, start-up fails saying what to set", () => {
    expect(() => requestStateKeyFor(http, { REDIS_URL: "redis://r:6379" }, silentLogger())).toThrow(
      /REDIS_URL is set \(several instances\) but OKTA_MCP_REQUEST_STATE_KEY is not/,
    );
  });
  it("over HTTP alone, or over stdio (every round reaches this process), a random key serves", () => {
    expect(requestStateKeyFor(http, {}, silentLogger()).shared).toBe(false);
    expect(requestStateKeyFor(stdio, { REDIS_URL: "redis://r:6379" }, silentLogger()).shared).toBe(false);
    const shared = requestStateKeyFor(
      http,
      { REDIS_URL: "redis://r:6379", OKTA_MCP_REQUEST_STATE_KEY: KEY_BYTES.toString("hex") },
      silentLogger(),
    );
    expect(shared.shared).toBe(true);
  });
});

describe("a refused state, as the model reads it", () => {
  it("says what was wrong, that nothing was sent, and what to do", () => {
    expect(new NotConfirmedError("state_expired", endpointOf("send_notification"), 600_000).message).toBe(
      "Not sent: the confirmation of the message expired (an answer must come back within 10 minutes), and nothing was sent. Call again to ask the user anew.",
    );
    expect(new NotConfirmedError("state_foreign", endpointOf("create_subject")).message).toBe(
      "Not done: the confirmation handed back for create_subject was issued to another API key or installation, and nothing was sent. Call again to ask the user anew.",
    );
  });
});
