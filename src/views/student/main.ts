/**
 * The student card for get_student: name, grade, section and the guardian with phone and
 * relation. The guardian, grade and section names are fetched through the host's tool calls
 * (get_guardian, list_grades, list_sections); one the host or the grant refuses says so in place.
 */
import type { App } from "@modelcontextprotocol/ext-apps";
import { connectView, el, resultText, showMessage } from "../shared/host.js";

type RecordData = Record<string, unknown> & { id?: number; full_name?: string };

interface CallResult {
  isError?: boolean;
  content?: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

const root = document.getElementById("app") as HTMLElement;

const text = (value: unknown) => (value === null || value === undefined ? "" : String(value));

/** A tool's `data` through the host, or the reason it is not there. */
async function fetchData(app: App, name: string, args: Record<string, unknown>): Promise<unknown> {
  const result = (await app.callServerTool({ name, arguments: args })) as CallResult;
  if (result.isError) throw new Error(resultText(result) || `${name} failed`);
  return result.structuredContent?.data;
}

function field(label: string, value: Node | string, key: string): HTMLElement {
  return el(
    "div",
    { className: "field", attrs: { "data-field": key } },
    el("dt", {}, label),
    el("dd", {}, value),
  );
}

/** A value fetched later: "…" now, then the name, or the reason it could not be had. */
function later(load: () => Promise<string>): HTMLElement {
  const span = el("span", { className: "pending" }, "…");
  load().then(
    (value) => {
      span.className = "";
      span.textContent = value;
    },
    (error: unknown) => {
      span.className = "unavailable";
      span.textContent = `not available: ${error instanceof Error ? error.message : String(error)}`;
    },
  );
  return span;
}

function guardianBlock(app: App, guardianId: unknown): HTMLElement {
  const box = el("section", { className: "guardian" }, el("h2", {}, "Guardian"));
  if (guardianId === null || guardianId === undefined) {
    box.append(el("p", { className: "muted" }, "No guardian on record."));
    return box;
  }
  const details = el("dl", {}, el("p", { className: "pending" }, "Loading guardian…"));
  box.append(details);
  fetchData(app, "get_guardian", { id: guardianId }).then(
    (data) => {
      const g = (data ?? {}) as RecordData;
      details.replaceChildren(
        field("Name", text(g.full_name), "guardian"),
        field("Relation", text(g.relation) || "—", "relation"),
        field("Phone", text(g.phone) || "—", "phone"),
        field("Email", text(g.email) || "—", "email"),
      );
    },
    (error: unknown) => {
      details.replaceChildren(
        el(
          "p",
          { className: "unavailable" },
          `Guardian ${text(guardianId)} not available: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    },
  );
  return box;
}

async function nameIn(app: App, tool: string, args: Record<string, unknown>, id: unknown): Promise<string> {
  const list = (await fetchData(app, tool, { per_page: 100, ...args })) as RecordData[] | undefined;
  const found = list?.find((r) => r.id === id);
  return found ? text(found.name) : `#${text(id)}`;
}

function render(app: App, student: RecordData) {
  const grade = student.grade_id;
  const section = student.section_id;
  root.replaceChildren(
    el(
      "article",
      { className: "card" },
      el("h1", {}, text(student.full_name)),
      el("p", { className: "muted" }, `Student #${text(student.id)}`),
      el(
        "dl",
        {},
        field(
          "Grade",
          grade === null || grade === undefined ? "—" : later(() => nameIn(app, "list_grades", {}, grade)),
          "grade",
        ),
        field(
          "Section",
          section === null || section === undefined
            ? "—"
            : later(() => nameIn(app, "list_sections", grade ? { grade_id: grade } : {}, section)),
          "section",
        ),
        field("Gender", text(student.gender) || "—", "gender"),
        field("Birth date", text(student.birth_date) || "—", "birth_date"),
      ),
      guardianBlock(app, student.guardian_id),
    ),
  );
}

showMessage(root, "waiting", "Waiting for the student…");
void connectView("okta-partners student card", (app) => {
  app.ontoolresult = (result) => {
    const call = result as CallResult;
    if (call.isError) return showMessage(root, "error", resultText(call) || "The student could not be read.");
    const student = call.structuredContent?.data as RecordData | undefined;
    if (!student) return showMessage(root, "empty", "No student in this result.");
    render(app, student);
  };
  app.ontoolcancelled = ({ reason }) =>
    showMessage(root, "error", `Cancelled${reason ? `: ${reason}` : "."}`);
});
