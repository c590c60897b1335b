/**
 * Each prompt, run end to end against the sandbox: get the prompt with completed arguments, then
 * make the tool calls its steps name, in order, as a model following it would.
 */
import type { Client } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROMPTS } from "../../src/prompts/index.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import {
  connectInProcess,
  type InProcessHarness,
  readJson,
  sandboxWith,
  structured,
  textOf,
} from "../helpers.js";

type Row = Record<string, unknown> & { id: number };

async function call<T = { data: Row[] }>(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<T> {
  const result = await client.callTool({ name, arguments: args });
  expect(result.isError, `${name}: ${textOf(result)}`).toBeFalsy();
  return structured<T>(result);
}

async function promptText(client: Client, name: string, args: Record<string, string>): Promise<string> {
  const got = await client.getPrompt({ name, arguments: args });
  return (got.messages[0]!.content as { text: string }).text;
}

async function complete(client: Client, prompt: string, argument: string, value: string): Promise<string[]> {
  const res = await client.complete({
    ref: { type: "ref/prompt", name: prompt },
    argument: { name: argument, value },
  });
  return res.completion.values;
}

describe("prompts, run end to end", () => {
  let sandbox: Sandbox;
  let h: InProcessHarness;

  beforeAll(async () => {
    sandbox = await sandboxWith();
    h = await connectInProcess(sandbox);
  });
  afterAll(async () => {
    await h?.close();
    await sandbox?.stop();
  });

  it("contact_guardian: find a student, their guardian's phone, and send the message", async () => {
    const first = (sandbox.records(42, "students") as Row[])[10]!;
    const surname = String(first.full_name).split(" ").at(-1)!;
    const names = await complete(h.client, "contact_guardian", "student", surname);
    expect(names).toContain(first.full_name);
    const text = await promptText(h.client, "contact_guardian", {
      student: String(first.full_name),
      message: "Pick-up at 1 pm",
    });
    expect(text).toContain("send_notification");

    const found = await call(h.client, "list_students", { search: first.full_name });
    const student = found.data.find((s) => s.id === first.id)!;
    const { data: full } = await call<{ data: Row }>(h.client, "get_student", { id: student.id });
    const { data: guardian } = await call<{ data: Row }>(h.client, "get_guardian", { id: full.guardian_id });
    const { data: caps } = await call<{ data: { channels: string[]; max_length: number } }>(
      h.client,
      "get_notification_capabilities",
      {},
    );
    expect(caps.channels).toContain("sms");
    const before = sandbox.records(42, "notifications").length;
    const { data: sent } = await call<{ data: { status: string; to: string } }>(
      h.client,
      "send_notification",
      {
        to: guardian.phone,
        message: "Pick-up at 1 pm",
      },
    );
    expect(sent).toMatchObject({ status: "queued", to: guardian.phone });
    expect(sandbox.records(42, "notifications").length).toBe(before + 1);
  });

  it("enrol_student: reuse or create the guardian, then create the student in the grade", async () => {
    expect(await complete(h.client, "enrol_student", "grade", "Grade 1")).toEqual(
      expect.arrayContaining(["Grade 1", "Grade 10", "Grade 11", "Grade 12"]),
    );
    const text = await promptText(h.client, "enrol_student", {
      student_name: "Noor Al-Fahad",
      grade: "Grade 3",
      guardian_name: "Faisal Al-Fahad",
      guardian_phone: "+966512345678",
    });
    expect(text).toContain("create_student");

    const grades = await call(h.client, "list_grades", { search: "Grade 3" });
    const grade = grades.data.find((g) => g.name === "Grade 3")!;
    const sections = await call(h.client, "list_sections", { grade_id: grade.id });
    const existing = await call(h.client, "list_guardians", { search: "+966512345678" });
    expect(existing.data).toHaveLength(0);
    const { data: guardian } = await call<{ data: Row }>(h.client, "create_guardian", {
      full_name: "Faisal Al-Fahad",
      phone: "+966512345678",
      relation: "father",
    });
    const { data: student } = await call<{ data: Row }>(h.client, "create_student", {
      full_name: "Noor Al-Fahad",
      grade_id: grade.id,
      section_id: sections.data[0]!.id,
      guardian_id: guardian.id,
    });
    expect(student).toMatchObject({ grade_id: grade.id, guardian_id: guardian.id });
  });

  it("attendance_summary: find the section and term, then run the report", async () => {
    expect(await complete(h.client, "attendance_summary", "section", "5-")).toContain("5-A");
    const terms = await complete(h.client, "attendance_summary", "term", "Term 1");
    expect(terms.length).toBeGreaterThan(0);
    const text = await promptText(h.client, "attendance_summary", { section: "5-A", term: terms[0]! });
    expect(text).toContain("run_report");

    const section = (await call(h.client, "list_sections", { search: "5-A" })).data.find(
      (s) => s.name === "5-A",
    )!;
    const term = (await call(h.client, "list_terms", { search: terms[0]! })).data[0]!;
    const reports = await call<{ data: Array<{ key: string }> }>(h.client, "list_reports", {});
    expect(reports.data.map((r) => r.key)).toContain("attendance_summary");
    const run = await call<{ data: { columns: string[]; rows: unknown[][] }; resource_uri: string }>(
      h.client,
      "run_report",
      { key: "attendance_summary", params: { section_id: section.id, term_id: term.id } },
    );
    expect(run.data.columns.length).toBeGreaterThan(1);
    expect(run.data.rows.length).toBeGreaterThan(0);
    const full = await readJson<{ result: { rows: unknown[] } }>(h.client, run.resource_uri);
    expect(full.result.rows.length).toBeGreaterThanOrEqual(run.data.rows.length);
  });

  it("guardian_contact_list: the grade, a channel from the report's enum, then the report", async () => {
    expect(await complete(h.client, "guardian_contact_list", "channel", "")).toEqual([
      "sms",
      "whatsapp",
      "email",
    ]);
    const text = await promptText(h.client, "guardian_contact_list", {
      grade: "Grade 2",
      channel: "whatsapp",
    });
    expect(text).toContain("guardian_contact_list");
    const grade = (await call(h.client, "list_grades", { search: "Grade 2" })).data.find(
      (g) => g.name === "Grade 2",
    )!;
    const run = await call<{ data: { rows: unknown[][] } }>(h.client, "run_report", {
      key: "guardian_contact_list",
      params: { grade_id: grade.id, channel: "whatsapp" },
    });
    expect(run.data.rows.length).toBeGreaterThan(0);
  });

  it("report keys complete from the catalog, and a report reads by key", async () => {
    const keys = await h.client.complete({
      ref: { type: "ref/resource", uri: "okta://reports/{key}" },
      argument: { name: "key", value: "a" },
    });
    expect(keys.completion.values).toEqual(["attendance_summary"]);
    const report = await readJson<{ key: string; params: Record<string, unknown> }>(
      h.client,
      "okta://reports/attendance_summary",
    );
    expect(Object.keys(report.params).sort()).toEqual(["section_id", "term_id"]);
  });

  it("each prompt names exactly the tools it declares (which decide when it is listed)", async () => {
    const args: Record<string, Record<string, string>> = {
      contact_guardian: { student: "A", message: "B" },
      enrol_student: { student_name: "A", grade: "Grade 1", guardian_name: "B" },
      attendance_summary: { section: "1-A", term: "Term 1" },
      guardian_contact_list: { grade: "Grade 1" },
    };
    for (const prompt of PROMPTS) {
      const text = await promptText(h.client, prompt.name, args[prompt.name]!);
      const named = new Set(text.match(/\b(?:whoami|(?:list|get|create|update|add|run|send)_[a-z_]+)\b/g));
      expect([...named].sort(), prompt.name).toEqual([...prompt.tools].sort());
    }
  });

  it("--read-only hides the prompts whose steps write", async () => {
    const readOnly = await connectInProcess(sandbox, { readOnly: true });
    try {
      const { prompts } = await readOnly.client.listPrompts();
      expect(prompts.map((p) => p.name).sort()).toEqual(["attendance_summary", "guardian_contact_list"]);
    } finally {
      await readOnly.close();
    }
  });

  it("prompts a scope set cannot carry out are not listed", async () => {
    const limited = await sandboxWith({ scopes: ["education.students.read", "education.guardians.read"] });
    const narrow = await connectInProcess(limited);
    try {
      const { prompts } = await narrow.client.listPrompts();
      expect(prompts).toHaveLength(0);
    } finally {
      await narrow.close();
      await limited.stop();
    }
  });
});
