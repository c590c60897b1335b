/**
 * What the view tests share: a UI host's capabilities, the suite's sandbox, server and browser,
 * and a student whose names are markup.
 */
import type { Client } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, expect } from "vitest";
import { UI_EXTENSION_ID, VIEW_MIME_TYPE } from "../../src/apps/views.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { connectInProcess, type InProcessHarness, sandboxServer, structured } from "../helpers.js";
import { type BrowserHarness, type HostPage, screenshot, startBrowser } from "./browser.js";

export const UI_HOST = { extensions: { [UI_EXTENSION_ID]: { mimeTypes: [VIEW_MIME_TYPE] } } };

/** What viewSuite() starts for a block of view tests. */
export interface ViewSuite {
  sandbox: Sandbox;
  /** The server in-process, connected as a UI host. */
  mcp: InProcessHarness;
  browser: BrowserHarness;
}

/**
 * For the tests of the enclosing block: a sandbox, the server in-process for a UI host and a
 * browser, started before them and closed after. Read the fields inside tests.
 */
export function viewSuite(): ViewSuite {
  const suite = sandboxServer((sandbox) => connectInProcess(sandbox, {}, UI_HOST)) as ViewSuite;
  // Chromium can take longer to start than the default hook timeout.
  beforeAll(async () => {
    suite.browser = await startBrowser();
  }, 60_000);
  afterAll(async () => {
    await suite.browser?.close();
  });
  return suite;
}

/** Rendered as HTML it would make an image and run a script; as text it is these characters. */
export const HOSTILE = "<img src=x onerror=alert(1)>";

export interface Enrolled {
  grade: { id: number; name: string };
  section: { id: number; name: string };
  student: { id: number; guardian_id: number };
}

/** Enrols a student named HOSTILE in Grade 5 (the grade's `sectionIndex`th section), with a new guardian. */
export async function enrolHostileStudent(
  client: Client,
  guardian: { full_name: string; phone: string; relation: string },
  sectionIndex = 0,
): Promise<Enrolled> {
  const call = async <T>(name: string, args: Record<string, unknown>) =>
    structured<{ data: T }>(await client.callTool({ name, arguments: args })).data;
  const grades = await call<{ id: number; name: string }[]>("list_grades", { per_page: 100 });
  const grade = grades.find((g) => g.name === "Grade 5")!;
  const sections = await call<{ id: number; name: string }[]>("list_sections", { grade_id: grade.id });
  const section = sections[sectionIndex]!;
  const { id: guardianId } = await call<{ id: number }>("create_guardian", guardian);
  const student = await call<{ id: number; guardian_id: number }>("create_student", {
    full_name: HOSTILE,
    gender: "female",
    birth_date: "2015-04-09",
    grade_id: grade.id,
    section_id: section.id,
    guardian_id: guardianId,
  });
  return { grade, section, student };
}

/** Saves the screenshot, then checks the run was clean: no console error, request or dialog. */
export async function finish(host: HostPage, name: string): Promise<void> {
  console.info(`screenshot: ${await screenshot(host, name)}`);
  expect(host.errors).toEqual([]);
  expect(host.requests).toEqual([]);
  expect(host.dialogs).toEqual([]);
  await host.page.close();
}
