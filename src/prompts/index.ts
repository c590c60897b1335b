/**
 * Prompts for the staff workflows the platform exists for. Each names the tools to use in order,
 * its arguments complete from the school's own data, and each is listed only when every tool
 * its steps use is served.
 */

import type { GetPromptResult, McpServer } from "@modelcontextprotocol/server";
import { completable } from "@modelcontextprotocol/server";
import { z } from "zod";
import { followsServedTools, servedToolNames, type ToolFilterOptions } from "../grant/served.js";
import type { Installation } from "../installation.js";
import { endpointOf, type ToolName } from "../platform/catalog.js";
import { listEnvelope } from "../platform/envelopes.js";
import { cleanText } from "../text/clean.js";
import { weakMemo } from "../weak-memo.js";

const MAX_COMPLETIONS = 20;

/** Names from a list endpoint matching what the user typed so far (search, then prefix order). */
async function completeNames(
  installation: Installation,
  listTool: ToolName,
  typed: string,
  field = "full_name",
) {
  const endpoint = endpointOf(listTool);
  // Outside the try: a refused installation says so instead of completing nothing.
  await installation.assertServing();
  try {
    const res = await installation.client.request({
      method: "GET",
      path: endpoint.path,
      query: { per_page: 100, ...(typed.trim() ? { search: typed.trim() } : {}) },
      expect: listEnvelope(endpoint.record),
    });
    const names = res.body.data.map((r) => cleanText(String(r[field] ?? ""))).filter(Boolean);
    const lower = typed.toLowerCase();
    return [...new Set(names)]
      .sort((a, b) => Number(!a.toLowerCase().startsWith(lower)) - Number(!b.toLowerCase().startsWith(lower)))
      .slice(0, MAX_COMPLETIONS);
  } catch {
    return [];
  }
}

/** Values of an enum parameter of a report in the catalog, e.g. guardian_contact_list.channel. */
async function completeReportEnum(installation: Installation, key: string, param: string, typed: string) {
  await installation.assertServing();
  try {
    const report = (await installation.reportCatalog()).find((r) => r.key === key);
    const values = report?.params[param]?.enum ?? [];
    return values.map((v) => cleanText(String(v))).filter((v) => v.startsWith(typed));
  } catch {
    return [];
  }
}

/** The prompt's text; its arguments may be completions taken from platform data. */
function userMessage(text: string): GetPromptResult {
  return { messages: [{ role: "user", content: { type: "text", text: cleanText(text) } }] };
}

interface PromptDefinition<Shape extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  /** The tools its steps use: it is listed only when every one of them is served. */
  tools: ToolName[];
  /** Its arguments; the completions read `installation`'s data. */
  args(installation: Installation): z.ZodObject<Shape>;
  /** The prompt's text for the given arguments. */
  message(args: z.infer<z.ZodObject<Shape>>): GetPromptResult;
}

/** Keeps each prompt's argument type checked against its own schema in the list below. */
function prompt<Shape extends z.ZodRawShape>(definition: PromptDefinition<Shape>): PromptDefinition {
  return definition as unknown as PromptDefinition;
}

/** What the SDK's RegisteredPrompt offers that we use. */
type PromptHandle = { enabled: boolean; enable(): void; disable(): void };

export const PROMPTS: PromptDefinition[] = [
  prompt({
    name: "contact_guardian",
    title: "Find a student and contact the guardian",
    description: "Look up a student, find their guardian's phone, and send them a message (asks to confirm).",
    tools: [
      "list_students",
      "get_student",
      "get_guardian",
      "get_notification_capabilities",
      "send_notification",
    ],
    args: (installation) =>
      z.object({
        student: completable(z.string().describe("Student's name"), (typed) =>
          completeNames(installation, "list_students", typed),
        ),
        message: z.string().optional().describe("What to tell the guardian"),
      }),
    message: ({ student, message }) =>
      userMessage(
        [
          `Contact the guardian of the student "${student}".`,
          "1. list_students with search set to the name; if several match, ask me which one.",
          "2. get_student for its guardian_id, then get_guardian for the phone.",
          "3. get_notification_capabilities for the channels and max length.",
          `4. send_notification to the guardian's phone with ${message ? `this message: "${message}"` : "a message you draft and show me first"}.`,
          "Report what was sent, to whom and on which channel.",
        ].join("\n"),
      ),
  }),
  prompt({
    name: "enrol_student",
    title: "Enrol a new student with their guardian",
    description:
      "Create the guardian (or reuse an existing one), then the student in the right grade and section.",
    tools: ["list_grades", "list_sections", "list_guardians", "create_guardian", "create_student"],
    args: (installation) =>
      z.object({
        student_name: z.string().describe("New student's full name"),
        grade: completable(z.string().describe("Grade, e.g. Grade 5"), (typed) =>
          completeNames(installation, "list_grades", typed, "name"),
        ),
        guardian_name: z.string().describe("Guardian's full name"),
        guardian_phone: z.string().optional().describe("Guardian's phone, E.164"),
      }),
    message: ({ student_name, grade, guardian_name, guardian_phone }) =>
      userMessage(
        [
          `Enrol "${student_name}" in ${grade}; guardian "${guardian_name}"${guardian_phone ? ` (${guardian_phone})` : ""}.`,
          "1. list_grades to find the grade_id of that grade; list_sections with that grade_id if a section is wanted.",
          "2. list_guardians with search set to the guardian's name or phone; reuse a clear match, otherwise create_guardian.",
          "3. create_student with full_name, grade_id and guardian_id (and section_id if chosen).",
          "Confirm the new student's id and the guardian used.",
        ].join("\n"),
      ),
  }),
  prompt({
    name: "attendance_summary",
    title: "Summarise attendance for a section and term",
    description: "Run the attendance report for one section and term and summarise who needs attention.",
    tools: ["list_sections", "list_terms", "list_reports", "run_report"],
    args: (installation) =>
      z.object({
        section: completable(z.string().describe("Section, e.g. 5-A"), (typed) =>
          completeNames(installation, "list_sections", typed, "name"),
        ),
        term: completable(z.string().describe("Term name"), (typed) =>
          completeNames(installation, "list_terms", typed, "name"),
        ),
      }),
    message: ({ section, term }) =>
      userMessage(
        [
          `Summarise attendance for section ${section} in term "${term}".`,
          "1. list_sections with search set to the section name for its section_id; list_terms for the term_id.",
          "2. list_reports to confirm the parameters of attendance_summary.",
          "3. run_report with key attendance_summary and params { section_id, term_id }.",
          "Summarise the section's attendance rate and name the students below 90%.",
        ].join("\n"),
      ),
  }),
  prompt({
    name: "guardian_contact_list",
    title: "Guardian contact list for a grade",
    description: "Run the guardian contact list report for a grade, optionally for one channel.",
    tools: ["list_grades", "run_report"],
    args: (installation) =>
      z.object({
        grade: completable(z.string().describe("Grade, e.g. Grade 5"), (typed) =>
          completeNames(installation, "list_grades", typed, "name"),
        ),
        channel: completable(z.string().describe("sms, whatsapp or email"), (typed) =>
          completeReportEnum(installation, "guardian_contact_list", "channel", typed ?? ""),
        ).optional(),
      }),
    message: ({ grade, channel }) =>
      userMessage(
        [
          `Produce the guardian contact list for ${grade}${channel ? ` reachable by ${channel}` : ""}.`,
          "1. list_grades for the grade_id.",
          `2. run_report with key guardian_contact_list and params { grade_id${channel ? `, channel: "${channel}"` : ""} }.`,
          "Present it as a table; when the answer has next, call run_report with next for the following rows.",
        ].join("\n"),
      ),
  }),
];

/**
 * Argument schemas of one installation, built once and shared by every server made for it: a
 * 2026 request (and a stateless 2025 one) gets a new server, and zod schemas are costly to build.
 * Their completions read that installation's data, so they are per installation, not per process.
 */
const argsOf = weakMemo(
  (installation: Installation): Map<string, z.ZodObject> =>
    new Map(PROMPTS.map((p) => [p.name, p.args(installation)])),
);

export class Prompts {
  readonly #registered: Array<{ tools: ToolName[]; handle: PromptHandle }>;

  constructor(
    mcp: McpServer,
    installation: Installation,
    private readonly filter: ToolFilterOptions = {},
  ) {
    const args = argsOf(installation);
    this.#registered = PROMPTS.map((p) => ({
      tools: p.tools,
      handle: mcp.registerPrompt(
        p.name,
        { title: p.title, description: p.description, argsSchema: args.get(p.name)! },
        p.message,
      ),
    }));
    this.updateScopes(installation.whoami.scopes);
  }

  /**
   * A prompt is listed only when every tool it names is served (scopes, --read-only, --toolsets).
   * Returns whether the listed set changed.
   */
  updateScopes(scopes: readonly string[]): boolean {
    const served = servedToolNames(scopes, this.filter);
    let changed = false;
    for (const { tools, handle } of this.#registered) {
      const listed = followsServedTools(tools, served);
      if (listed !== handle.enabled) changed = true;
      if (listed) handle.enable();
      else handle.disable();
    }
    return changed;
  }
}
