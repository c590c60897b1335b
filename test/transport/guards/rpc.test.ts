/** What a JSON-RPC exchange over HTTP must look like: content negotiation. */
import { describe, expect, it } from "vitest";
import { acceptsFor, isJsonContentType } from "../../../src/transport/guards/rpc.js";

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
});
