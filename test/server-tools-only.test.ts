/**
 * Which requests get a tools-only server (server.ts onlyToolRequests): only bodies made entirely
 * of tool calls and listings; anything else needs the resources and prompts too.
 */
import { describe, expect, it } from "vitest";
import { onlyToolRequests } from "../src/server.js";

const request = (method: string, id = 1) => ({ jsonrpc: "2.0" as const, id, method, params: {} });

describe("onlyToolRequests", () => {
  it("is true for tool calls and listings alone", () => {
    expect(onlyToolRequests([request("tools/call")])).toBe(true);
    expect(onlyToolRequests([request("tools/list")])).toBe(true);
    expect(onlyToolRequests([request("tools/call", 1), request("tools/list", 2)])).toBe(true);
  });

  it("is false as soon as one message needs more, or is no request", () => {
    expect(onlyToolRequests([request("tools/call"), request("resources/read", 2)])).toBe(false);
    expect(onlyToolRequests([request("prompts/get")])).toBe(false);
    expect(onlyToolRequests([request("initialize")])).toBe(false);
    expect(onlyToolRequests([request("server/discover")])).toBe(false);
    expect(onlyToolRequests([{ jsonrpc: "2.0", method: "notifications/initialized" }])).toBe(false);
    expect(onlyToolRequests([{ jsonrpc: "2.0", id: 1, result: {} }])).toBe(false);
    expect(onlyToolRequests([])).toBe(false);
  });
});
