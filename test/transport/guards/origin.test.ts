/** Who may reach MCP at all: the Host and Origin allow-lists. */
import { describe, expect, it } from "vitest";
import { isHostAllowed, isOriginAllowed } from "../../../src/transport/guards/origin.js";

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
