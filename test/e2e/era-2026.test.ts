/**
 * The 2026-07-28 revision over stdio: the built bin, driven by the v2 client negotiating the era
 * itself (`server/discover`), against the sandbox on loopback. What a 2026 client may cache
 * (`ttlMs`, `cacheScope`), a tools/list order that depends on nothing but the grant, and the
 * discover answer. A 2025 client on the same bin sees none of the cache fields.
 */
import type { Client, ClientOptions } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIST_TTL_CAP_MS } from "../../src/cache-hints.js";
import type { Installation } from "../../src/installation.js";
import { TOOL_NAMES } from "../../src/platform/catalog.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { instructionsFor } from "../../src/server.js";
import { VERSION } from "../../src/version.js";
import { connectStdio, READ_ONLY_SCOPES, type StdioHarness, sandboxWith } from "../helpers.js";

const MODERN: ClientOptions = { versionNegotiation: { mode: "auto" } };

/** The cache fields as they came over the wire (the SDK's result types leave them out). */
function cacheFieldsOf(result: object): { ttlMs?: unknown; cacheScope?: unknown } {
  const { ttlMs, cacheScope } = result as { ttlMs?: unknown; cacheScope?: unknown };
  return { ttlMs, cacheScope };
}

function expectModern(client: Client) {
  expect(client.getNegotiatedProtocolVersion()).toBe("2026-07-28");
  expect(client.getProtocolEra()).toBe("modern");
}

describe("2026-07-28 over stdio: cache fields", () => {
  let sandbox: Sandbox;
  let mcp: StdioHarness;
  beforeAll(async () => {
    sandbox = await sandboxWith();
    mcp = await connectStdio(sandbox, [], {}, MODERN);
  });
  afterAll(async () => {
    await mcp?.close();
    await sandbox?.stop();
  });

  it("lists are private and held for at most a minute (the grant is re-read every 300 s)", async () => {
    expectModern(mcp.client);
    const list = { ttlMs: LIST_TTL_CAP_MS, cacheScope: "private" };
    expect(cacheFieldsOf(await mcp.client.listTools())).toEqual(list);
    expect(cacheFieldsOf(await mcp.client.listResources())).toEqual(list);
    expect(cacheFieldsOf(await mcp.client.listResourceTemplates())).toEqual(list);
    expect(cacheFieldsOf(await mcp.client.listPrompts())).toEqual(list);
  });

  it("a read is private and never served from a cache (a write must show at once)", async () => {
    const read = await mcp.client.readResource({ uri: "okta://whoami" });
    expect(read.contents).toHaveLength(1);
    expect(cacheFieldsOf(read)).toEqual({ ttlMs: 0, cacheScope: "private" });
  });

  it("server/discover reports our server info, capabilities and instructions", async () => {
    const probed = mcp.client.getDiscoverResult();
    expect(probed?.supportedVersions).toContain("2026-07-28");
    expect(cacheFieldsOf(probed ?? {})).toEqual({ ttlMs: LIST_TTL_CAP_MS, cacheScope: "private" });
    const discover = await mcp.client.discover();
    expect(discover.capabilities).toEqual({
      tools: { listChanged: true },
      resources: { listChanged: true, subscribe: true },
      prompts: { listChanged: true },
      completions: {},
      logging: {},
    });
    expect(discover.instructions).toBe(instructionsFor({ sandbox: false } as Installation));
    expect(mcp.client.getServerVersion()).toEqual({
      name: "okta-partners-mcp",
      title: "Okta Partners (schools)",
      version: VERSION,
    });
  });
});

describe("2026-07-28 over stdio: tools/list order", () => {
  let all: Sandbox;
  let readOnly: Sandbox;
  beforeAll(async () => {
    [all, readOnly] = await Promise.all([sandboxWith(), sandboxWith({ scopes: READ_ONLY_SCOPES })]);
  });
  afterAll(async () => {
    await all?.stop();
    await readOnly?.stop();
  });

  async function toolsOf(sandbox: Sandbox) {
    const mcp = await connectStdio(sandbox, [], {}, MODERN);
    try {
      expectModern(mcp.client);
      return (await mcp.client.listTools()).tools;
    } finally {
      await mcp.close();
    }
  }

  it("is catalog order under every grant, the same in every process", async () => {
    const [first, second, narrow] = [await toolsOf(all), await toolsOf(all), await toolsOf(readOnly)];
    const names = (tools: { name: string }[]) => tools.map((t) => t.name);
    // Two processes, one grant: the very same list, byte for byte (so a cached prefix stays valid).
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(names(first)).toEqual([...TOOL_NAMES]);
    // A narrower grant drops tools and never reorders the rest.
    expect(names(narrow)).toHaveLength(8);
    expect(names(narrow)).toEqual(TOOL_NAMES.filter((n) => names(narrow).includes(n)));
    expect(names(first).filter((n) => names(narrow).includes(n))).toEqual(names(narrow));
  });
});

describe("cache fields follow the grant's re-read interval", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await sandboxWith();
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it("a grant re-read every 10 s holds lists for 10 s", async () => {
    const mcp = await connectStdio(sandbox, [], { OKTA_WHOAMI_REFRESH_SECONDS: "10" }, MODERN);
    try {
      expectModern(mcp.client);
      expect(cacheFieldsOf(await mcp.client.listTools())).toEqual({ ttlMs: 10_000, cacheScope: "private" });
    } finally {
      await mcp.close();
    }
  });

  it("a 2025 client on the same bin gets no cache fields at all", async () => {
    const mcp = await connectStdio(sandbox);
    try {
      expect(mcp.client.getProtocolEra()).toBe("legacy");
      const tools = await mcp.client.listTools();
      expect(tools.tools).toHaveLength(22);
      expect(cacheFieldsOf(tools)).toEqual({ ttlMs: undefined, cacheScope: undefined });
      expect(cacheFieldsOf(await mcp.client.readResource({ uri: "okta://whoami" }))).toEqual({
        ttlMs: undefined,
        cacheScope: undefined,
      });
    } finally {
      await mcp.close();
    }
  });
});
