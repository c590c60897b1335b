/**
 * Views are progressive: a host that did not declare MCP Apps gets exactly the tools, resources
 * and results it got before views existed; one that did sees the views named on run_report and
 * get_student and listed as ui:// resources, on both protocol eras.
 */
import type { Client } from "@modelcontextprotocol/client";
import { EXTENSION_ID, getUiCapability, RESOURCE_MIME_TYPE } from "@modelcontextprotocol/ext-apps/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { showsViews, UI_EXTENSION_ID, VIEW_MIME_TYPE, VIEWS } from "../../src/apps/views.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { connectInProcess, connectStdio, type InProcessHarness, sandboxWith } from "../helpers.js";
import { UI_HOST } from "./fixtures.js";

const VIEW_URIS = Object.values(VIEWS).map((v) => v.uri);

const withoutRunIds = (value: unknown) =>
  JSON.parse(
    JSON.stringify(value).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "RUN"),
  );

describe("views are offered only to hosts that render them", () => {
  let sandbox: Sandbox;
  let plain: InProcessHarness;
  let ui: InProcessHarness;

  beforeAll(async () => {
    sandbox = await sandboxWith();
    plain = await connectInProcess(sandbox);
    ui = await connectInProcess(sandbox, {}, UI_HOST);
  });
  afterAll(async () => {
    await plain.close();
    await ui.close();
    await sandbox.stop();
  });

  it("speaks the extension's own names (ext-apps' constants and capability check)", () => {
    expect(UI_EXTENSION_ID).toBe(EXTENSION_ID);
    expect(VIEW_MIME_TYPE).toBe(RESOURCE_MIME_TYPE);
    for (const capabilities of [
      UI_HOST,
      {},
      { extensions: { [EXTENSION_ID]: { mimeTypes: ["text/html"] } } },
    ]) {
      expect(showsViews(capabilities)).toBe(
        getUiCapability(capabilities)?.mimeTypes?.includes(RESOURCE_MIME_TYPE) ?? false,
      );
    }
  });

  it("a host without the UI capability: no tool names a view, no ui:// resource is listed", async () => {
    const { tools } = await plain.client.listTools();
    expect(tools.filter((t) => t._meta !== undefined)).toEqual([]);
    const { resources } = await plain.client.listResources();
    expect(resources.map((r) => r.uri).filter((uri) => uri.startsWith("ui://"))).toEqual([]);
  });

  it("a UI host: the same tools and resources, plus the views on run_report and get_student", async () => {
    const [plainTools, uiTools] = await Promise.all([plain.client.listTools(), ui.client.listTools()]);
    expect(uiTools.tools.filter((t) => t._meta).map((t) => [t.name, t._meta?.ui])).toEqual([
      ["get_student", { resourceUri: VIEWS.student.uri }],
      ["run_report", { resourceUri: VIEWS.report.uri }],
    ]);
    expect(uiTools.tools.map(({ _meta, ...rest }) => rest)).toEqual(plainTools.tools);

    const [plainResources, uiResources] = await Promise.all([
      plain.client.listResources(),
      ui.client.listResources(),
    ]);
    const views = uiResources.resources.filter((r) => r.uri.startsWith("ui://"));
    expect(views.map((r) => [r.uri, r.mimeType])).toEqual(VIEW_URIS.map((uri) => [uri, VIEW_MIME_TYPE]));
    expect(uiResources.resources.filter((r) => !r.uri.startsWith("ui://"))).toEqual(plainResources.resources);
  });

  it("the same call gives the same text and structured result with or without views", async () => {
    const calls = [
      { name: "run_report", arguments: { key: "guardian_contact_list", params: { grade_id: 5 } } },
      { name: "get_student", arguments: { id: 1 } },
    ];
    for (const call of calls) {
      const [a, b] = await Promise.all([plain.client.callTool(call), ui.client.callTool(call)]);
      expect(withoutRunIds(b)).toEqual(withoutRunIds(a));
      expect(a.isError).toBeFalsy();
    }
  });

  it("a view follows its tool: not served where the tool is not", async () => {
    const narrow = await sandboxWith({ scopes: ["education.students.read"] });
    const h = await connectInProcess(narrow, {}, UI_HOST);
    try {
      const { resources } = await h.client.listResources();
      expect(resources.map((r) => r.uri).filter((uri) => uri.startsWith("ui://"))).toEqual([
        VIEWS.student.uri,
      ]);
      await expect(h.client.readResource({ uri: VIEWS.report.uri })).rejects.toThrow(/run_report/);
    } finally {
      await h.close();
      await narrow.stop();
    }
  });
});

describe("on 2026-07-28 over stdio (the built bin), capabilities come with each request", () => {
  let sandbox: Sandbox;
  const opened: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    sandbox = await sandboxWith();
  });
  afterAll(async () => {
    for (const h of opened) await h.close();
    await sandbox.stop();
  });

  const connect = async (capabilities: object): Promise<Client> => {
    const h = await connectStdio(sandbox, [], {}, { versionNegotiation: { mode: "auto" }, capabilities });
    opened.push(h);
    expect(h.client.getNegotiatedProtocolVersion()).toBe("2026-07-28");
    return h.client;
  };

  it("names the views to a UI host and not to a host without", async () => {
    const withViews = await connect(UI_HOST);
    const without = await connect({});
    const meta = async (client: Client) =>
      (await client.listTools()).tools.filter((t) => t._meta).map((t) => t.name);
    expect(await meta(withViews)).toEqual(["get_student", "run_report"]);
    expect(await meta(without)).toEqual([]);
    const { contents } = await withViews.readResource({ uri: VIEWS.student.uri });
    expect(contents[0]?.mimeType).toBe(VIEW_MIME_TYPE);
  });
});
