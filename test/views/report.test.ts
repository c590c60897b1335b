/**
 * The report viewer in a real browser: the official AppBridge renders the view the server serves
 * (resources/read), fed with the real input and result of run_report against the sandbox, and
 * forwards the view's own run_report calls (paging through `next`) to the server.
 */
import type { CallToolResult, Client } from "@modelcontextprotocol/client";
import type { Frame } from "puppeteer-core";
import { beforeAll, describe, expect, it } from "vitest";
import { VIEWS } from "../../src/apps/views.js";
import { readJson, structured } from "../helpers.js";
import { browserAvailable, type HostPage, mountView, screenshot } from "./browser.js";
import { enrolHostileStudent, finish, HOSTILE, viewSuite } from "./fixtures.js";

interface ReportResult {
  data: { columns: string[]; rows: unknown[][] };
  run_id: string;
  total_rows: number;
  next?: Record<string, unknown>;
}

const texts = (frame: Frame, selector: string) =>
  frame.$$eval(selector, (nodes) => nodes.map((n) => n.textContent ?? ""));

describe.skipIf(!browserAvailable())("report viewer in Chromium", () => {
  const suite = viewSuite();
  let client: Client;
  let gradeId: number;
  const input = () => ({ key: "guardian_contact_list", params: { grade_id: gradeId } });

  beforeAll(async () => {
    client = suite.mcp.client;
    // A guardian and a student whose names are markup: the view must show them as text.
    ({
      grade: { id: gradeId },
    } = await enrolHostileStudent(client, {
      full_name: HOSTILE,
      phone: "+966501112233",
      relation: "mother",
    }));
  });

  async function show(host: HostPage, args: Record<string, unknown>, theme: "light" | "dark" = "light") {
    const result = (await client.callTool({ name: "run_report", arguments: args })) as CallToolResult;
    const frame = await mountView(host, client, VIEWS.report.uri, args, result, theme);
    return { frame, result };
  }

  it("names its view on run_report for a UI host, served as an MCP App with a deny-by-default CSP", async () => {
    const { tools } = await client.listTools();
    const runReport = tools.find((t) => t.name === "run_report")!;
    expect(runReport._meta).toEqual({
      ui: { resourceUri: VIEWS.report.uri },
      "ui/resourceUri": VIEWS.report.uri,
    });
    const { contents } = await client.readResource({ uri: VIEWS.report.uri });
    const content = contents[0] as unknown as {
      mimeType: string;
      text: string;
      _meta: { ui: { csp: object } };
    };
    expect(content.mimeType).toBe("text/html;profile=mcp-app");
    expect(content._meta.ui.csp).toEqual({
      connectDomains: [],
      resourceDomains: [],
      frameDomains: [],
      baseUriDomains: [],
    });
    expect(Buffer.byteLength(content.text)).toBeLessThanOrEqual(1024 * 1024);
    // One document: no script or stylesheet fetched from anywhere.
    expect(content.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=/i);
  });

  it("shows the guardian contact list of Grade 5: columns, a known row, every row through next, the markup name as text", async () => {
    const host = await suite.browser.open(client);
    const { frame, result } = await show(host, input());
    const first = structured<ReportResult>(result);
    expect(first.next).toBeDefined();
    await frame.waitForSelector("table tbody tr");

    expect(await texts(frame, "thead th")).toEqual(first.data.columns);
    expect(await texts(frame, ".count")).toEqual([
      `${first.data.rows.length} of ${first.total_rows} rows shown`,
    ]);
    const known = first.data.rows[0]!;
    const rowsShown = await frame.$$eval("tbody tr", (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)),
    );
    expect(rowsShown).toContainEqual(known.map((c) => (c === null ? "" : String(c))));
    // Ids are numbers: right-aligned; text is not.
    const align = await frame.$$eval("tbody tr:first-child td", (tds) =>
      tds.map((td) => getComputedStyle(td).textAlign),
    );
    expect(align[0]).toBe("right");
    expect(align[1]).toBe("left");
    // Ids only: no quantity to chart, so no chart.
    expect(await frame.$("svg.chart")).toBeNull();

    await frame.click('button[data-action="all"]');
    await frame.waitForFunction(
      (n) => document.querySelectorAll("tbody tr").length === n,
      {},
      first.total_rows,
    );
    expect(host.calls.every((name) => name === "run_report")).toBe(true);
    expect(host.calls.length).toBeGreaterThan(0);
    const run = await readJson<{ result: { rows: unknown[][] } }>(
      client,
      `okta://reports/runs/${first.run_id}`,
    );
    const ids = (await texts(frame, "tbody tr td:first-child")).map(Number).sort((a, b) => a - b);
    expect(ids).toEqual(run.result.rows.map((r) => r[0] as number).sort((a, b) => a - b));
    expect(await texts(frame, ".count")).toEqual([`${first.total_rows} rows`]);
    expect(await frame.$('button[data-action="all"]')).toBeNull();

    // The markup names are text in their cells: no element made of them, nothing ran.
    const hostile = await frame.$$eval(
      "td",
      (tds, h) => tds.filter((td) => td.textContent === h).length,
      HOSTILE,
    );
    expect(hostile).toBe(2);
    expect(await frame.$("td img, img")).toBeNull();
    await finish(host, "report-guardian-contacts-grade-5");
  });

  it("sorts by a column both ways and downloads the rows as CSV through the host", async () => {
    const host = await suite.browser.open(client);
    const { frame } = await show(host, { ...input(), row_limit: 500 });
    await frame.waitForSelector("tbody tr");
    const names = await texts(frame, "tbody tr td:nth-child(2)");
    const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
    const sorted = [...names].sort(collator.compare);
    await frame.click("thead th:nth-child(2) button");
    expect(await texts(frame, "tbody tr td:nth-child(2)")).toEqual(sorted);
    expect(await frame.$eval("thead th:nth-child(2)", (th) => th.getAttribute("aria-sort"))).toBe(
      "ascending",
    );
    await frame.click("thead th:nth-child(2) button");
    expect(await texts(frame, "tbody tr td:nth-child(2)")).toEqual([...sorted].reverse());

    await frame.click('button[data-action="csv"]');
    await host.page.waitForFunction(
      () => (window as unknown as { downloads: unknown[] }).downloads.length === 1,
    );
    const [download] = (await host.page.evaluate(
      () => (window as unknown as { downloads: unknown[] }).downloads,
    )) as {
      resource: { mimeType: string; text: string; uri: string };
    }[];
    expect(download!.resource.mimeType).toBe("text/csv");
    const lines = download!.resource.text.split("\r\n");
    expect(lines[0]).toBe("student_id,student,section,guardian_id,guardian,relation,contact");
    expect(lines).toHaveLength(names.length + 1);
    expect(await texts(frame, ".status")).toEqual(["Downloaded guardian_contact_list.csv."]);
    expect(host.errors).toEqual([]);
    await host.page.close();
  });

  it("charts enrolment by grade as bars, follows the host's theme and width", async () => {
    const host = await suite.browser.open(client);
    const { frame, result } = await show(host, { key: "enrolment_by_grade" });
    const report = structured<ReportResult>(result);
    await frame.waitForSelector("svg.chart");
    expect(await frame.$$eval("svg.chart rect.bar", (bars) => bars.length)).toBe(report.total_rows);
    expect(await texts(frame, "svg.chart text.label")).toEqual(report.data.rows.map((r) => String(r[1])));
    expect(await texts(frame, "svg.chart text.value")).toEqual(report.data.rows.map((r) => String(r[3])));
    // More than one quantity: the person picks which to chart.
    expect(await texts(frame, "select option")).toEqual(["sections", "students", "male", "female"]);
    console.info(`screenshot: ${await screenshot(host, "report-enrolment-by-grade-light")}`);

    const background = () => frame.$eval("body", (b) => getComputedStyle(b).backgroundColor);
    expect(await background()).toBe("rgb(255, 255, 255)");
    await host.page.evaluate(() => (window as unknown as { setTheme(t: string): void }).setTheme("dark"));
    await frame.waitForFunction(() => document.documentElement.dataset.theme === "dark");
    expect(await background()).toBe("rgb(31, 31, 30)");
    await host.page.evaluate(() => (window as unknown as { resizeView(w: number): void }).resizeView(420));
    await frame.waitForFunction(() => document.documentElement.clientWidth === 420);
    // The table scrolls inside its box instead of widening the view.
    expect(await frame.$eval("main", (m) => m.scrollWidth <= 420)).toBe(true);
    console.info(`screenshot: ${await screenshot(host, "report-enrolment-by-grade-dark-narrow")}`);
    expect(host.errors).toEqual([]);
    await host.page.close();
  });

  it("says so when a report has no rows, and shows a refused run as the error it is", async () => {
    const host = await suite.browser.open(client);
    const empty = await show(host, {
      key: "staff_directory",
      params: { job_title: "no such title anywhere" },
    });
    await empty.frame.waitForSelector(".message.empty");
    expect(await texts(empty.frame, ".message.empty")).toEqual([
      "This report has no rows for these parameters.",
    ]);
    console.info(`screenshot: ${await screenshot(host, "report-empty")}`);
    await host.page.close();

    const refused = await suite.browser.open(client);
    const failed = await show(refused, { key: "no_such_report" });
    await failed.frame.waitForSelector(".message.error");
    const [message] = await texts(failed.frame, ".message.error");
    expect(message).toContain("Unknown report");
    expect(await texts(failed.frame, "h1")).toEqual(["no_such_report could not be run"]);
    expect(failed.result.isError).toBe(true);
    console.info(`screenshot: ${await screenshot(refused, "report-error")}`);
    expect([...host.errors, ...refused.errors]).toEqual([]);
    await refused.page.close();
  });

  it("hears the view's console errors (so 'no console errors' above could fail)", async () => {
    const host = await suite.browser.open(client);
    const { frame } = await show(host, { key: "enrolment_by_grade" });
    await frame.waitForSelector("table");
    await frame.evaluate(() => console.error("probe from the view"));
    // Console events arrive asynchronously over the DevTools protocol.
    await expect.poll(() => host.errors, { timeout: 10_000 }).toEqual(["probe from the view"]);
    await host.page.close();
  });
});
