/**
 * The student card in a real browser: get_student's real result rendered by the view the server
 * serves, with the guardian, grade and section fetched through the host's tool calls to the server.
 */
import type { CallToolResult } from "@modelcontextprotocol/client";
import type { Frame } from "puppeteer-core";
import { beforeAll, describe, expect, it } from "vitest";
import { VIEWS } from "../../src/apps/views.js";
import { ALL_SCOPES } from "../../src/platform/scopes.js";
import { connectInProcess, sandboxWith, structured } from "../helpers.js";
import { browserAvailable, mountView, screenshot } from "./browser.js";
import { enrolHostileStudent, finish, HOSTILE, UI_HOST, viewSuite } from "./fixtures.js";

const field = (frame: Frame, name: string) =>
  frame.$eval(`[data-field="${name}"] dd`, (dd) => dd.textContent ?? "");

describe.skipIf(!browserAvailable())("student card in Chromium", () => {
  const suite = viewSuite();
  let student: { id: number; guardian_id: number };
  let section: { id: number; name: string };

  beforeAll(async () => {
    ({ section, student } = await enrolHostileStudent(
      suite.mcp.client,
      { full_name: `Guardian ${HOSTILE}`, phone: "+966501112244", relation: "father" },
      1,
    ));
  });

  it("names its view on get_student for a UI host", async () => {
    const { tools } = await suite.mcp.client.listTools();
    expect(tools.find((t) => t.name === "get_student")?._meta).toEqual({
      ui: { resourceUri: VIEWS.student.uri },
      "ui/resourceUri": VIEWS.student.uri,
    });
  });

  it("shows name, grade, section and the guardian with phone and relation, fetched through the host", async () => {
    const client = suite.mcp.client;
    const host = await suite.browser.open(client);
    const args = { id: student.id };
    const result = (await client.callTool({ name: "get_student", arguments: args })) as CallToolResult;
    const frame = await mountView(host, client, VIEWS.student.uri, args, result);
    await frame.waitForSelector('[data-field="phone"]');
    await frame.waitForFunction(() => document.querySelectorAll(".pending").length === 0);

    expect(await frame.$eval("h1", (h) => h.textContent)).toBe(HOSTILE);
    expect(await field(frame, "grade")).toBe("Grade 5");
    expect(await field(frame, "section")).toBe(section.name);
    expect(await field(frame, "guardian")).toBe(`Guardian ${HOSTILE}`);
    expect(await field(frame, "phone")).toBe("+966501112244");
    expect(await field(frame, "relation")).toBe("father");
    expect(await field(frame, "birth_date")).toBe("2015-04-09");
    expect([...host.calls].sort()).toEqual(["get_guardian", "list_grades", "list_sections"]);
    // The names are text: no element was made of them, no script of theirs ran.
    expect(await frame.$("img")).toBeNull();
    await finish(host, "student-card");
  });

  it("says in place what it could not fetch: no guardian scope, no guardian", async () => {
    const narrow = await sandboxWith({
      scopes: ALL_SCOPES.filter((s) => s !== "education.guardians.read"),
    });
    const withoutGuardians = await connectInProcess(narrow, {}, UI_HOST);
    try {
      const client = withoutGuardians.client;
      const first = structured<{ data: { id: number }[] }>(
        await client.callTool({ name: "list_students", arguments: { per_page: 1 } }),
      ).data[0]!;
      const host = await suite.browser.open(client);
      const result = await client.callTool({ name: "get_student", arguments: { id: first.id } });
      const frame = await mountView(host, client, VIEWS.student.uri, { id: first.id }, result, "dark");
      await frame.waitForSelector(".guardian .unavailable");
      const [message] = await frame.$$eval(".guardian .unavailable", (ps) =>
        ps.map((p) => p.textContent ?? ""),
      );
      expect(message).toMatch(/^Guardian \d+ not available: .*get_guardian/);
      console.info(`screenshot: ${await screenshot(host, "student-card-no-guardian-scope-dark")}`);
      await host.page.close();
    } finally {
      await withoutGuardians.close();
      await narrow.stop();
    }
  });
});
