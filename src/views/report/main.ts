/**
 * The report viewer for run_report: the rows as a sortable table with the report's columns, every
 * row reachable through the tool's own `next` (called through the host), a bar chart where the
 * numbers make one, copy and CSV download where the host allows them.
 */
import type { App } from "@modelcontextprotocol/ext-apps";
import { connectView, el, resultText, showMessage } from "../shared/host.js";
import { barChart } from "./chart.js";
import {
  type Cell,
  cellText,
  chartable,
  numericColumns,
  type SortOrder,
  sortRows,
  toCsv,
  toTsv,
} from "./table-model.js";

/** The most rows run_report gives in one call. */
const ALL_AT_ONCE = 500;

interface ReportPage {
  data?: { key?: string; columns?: string[]; rows?: Cell[][]; generated_at?: string };
  run_id?: string;
  total_rows?: number;
  next?: Record<string, unknown>;
}

interface CallResult {
  isError?: boolean;
  content?: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

const root = document.getElementById("app") as HTMLElement;

const state = {
  key: "",
  columns: [] as string[],
  rows: [] as Cell[][],
  total: 0,
  generatedAt: "",
  next: undefined as Record<string, unknown> | undefined,
  sort: undefined as SortOrder | undefined,
  chartColumn: undefined as number | undefined,
  status: "",
  busy: false,
};

function take(page: ReportPage, append: boolean) {
  const data = page.data ?? {};
  state.key = data.key ?? state.key;
  state.columns = data.columns ?? state.columns;
  state.rows = append ? [...state.rows, ...(data.rows ?? [])] : [...(data.rows ?? [])];
  state.total = page.total_rows ?? state.rows.length;
  state.generatedAt = data.generated_at ?? state.generatedAt;
  state.next = page.next;
}

function fromResult(result: CallResult, append: boolean): boolean {
  if (result.isError) {
    showMessage(root, "error", resultText(result) || "The report could not be run.");
    root.prepend(el("h1", {}, state.key ? `${state.key} could not be run` : "The report could not be run"));
    return false;
  }
  take((result.structuredContent ?? {}) as ReportPage, append);
  return true;
}

/** Follows `next` once (one more window) or to the end, through the host's tool call. */
async function follow(app: App, toEnd: boolean) {
  state.busy = true;
  render(app);
  try {
    do {
      const args = { ...state.next, ...(toEnd ? { row_limit: ALL_AT_ONCE } : {}) };
      const result = (await app.callServerTool({ name: "run_report", arguments: args })) as CallResult;
      if (!fromResult(result, true)) return;
    } while (toEnd && state.next);
  } catch (error) {
    state.status = `Could not load more rows: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    state.busy = false;
  }
  render(app);
}

async function copy(app: App) {
  try {
    await navigator.clipboard.writeText(toTsv(state.columns, sortRows(state.rows, state.sort)));
    state.status = `Copied ${state.rows.length} rows.`;
  } catch {
    state.status = "This host does not allow copying; use Download CSV or select the table.";
  }
  render(app);
}

async function download(app: App) {
  const csv = toCsv(state.columns, sortRows(state.rows, state.sort));
  const name = `${state.key || "report"}.csv`;
  const { isError } = await app.downloadFile({
    contents: [{ type: "resource", resource: { uri: `file:///${name}`, mimeType: "text/csv", text: csv } }],
  });
  state.status = isError ? "The download was not allowed." : `Downloaded ${name}.`;
  render(app);
}

function toolbar(app: App): HTMLElement {
  const bar = el("div", { className: "toolbar" });
  const remaining = state.total - state.rows.length;
  if (state.next && remaining > 0) {
    const more = el("button", { attrs: { "data-action": "more" } }, "Next rows");
    more.disabled = state.busy;
    more.onclick = () => follow(app, false);
    const all = el("button", { attrs: { "data-action": "all" } }, `Show all ${state.total} rows`);
    all.disabled = state.busy;
    all.onclick = () => follow(app, true);
    bar.append(all, more);
  }
  if (state.rows.length > 0) {
    if (navigator.clipboard) {
      const copyButton = el("button", { attrs: { "data-action": "copy" } }, "Copy");
      copyButton.onclick = () => copy(app);
      bar.append(copyButton);
    }
    if (app.getHostCapabilities()?.downloadFile) {
      const csv = el("button", { attrs: { "data-action": "csv" } }, "Download CSV");
      csv.onclick = () => download(app);
      bar.append(csv);
    }
  }
  return bar;
}

function chart(app: App): HTMLElement | undefined {
  const plan = chartable(state.columns, state.rows);
  if (!plan) return undefined;
  const value = plan.values.includes(state.chartColumn ?? -1) ? (state.chartColumn as number) : plan.main;
  const section = el("section", { className: "chart-box" });
  if (plan.values.length > 1) {
    const select = el("select", { attrs: { "aria-label": "Column to chart" } });
    for (const i of plan.values) {
      const option = el("option", { attrs: { value: String(i) } }, state.columns[i] ?? "");
      option.selected = i === value;
      select.append(option);
    }
    select.onchange = () => {
      state.chartColumn = Number(select.value);
      render(app);
    };
    section.append(el("label", { className: "muted" }, "Chart: ", select));
  }
  const title = `${state.columns[value]} by ${state.columns[plan.label]}`;
  section.append(barChart(state.rows, plan.label, value, title));
  return section;
}

function table(app: App): HTMLElement {
  const numeric = numericColumns(state.columns, state.rows);
  const head = el("tr");
  state.columns.forEach((name, i) => {
    const sorted = state.sort?.column === i ? state.sort : undefined;
    const button = el("button", { className: "sort" }, name, sorted ? (sorted.descending ? " ▼" : " ▲") : "");
    button.onclick = () => {
      state.sort = { column: i, descending: sorted ? !sorted.descending : false };
      render(app);
    };
    const th = el("th", { className: numeric.has(i) ? "num" : "", attrs: { scope: "col" } }, button);
    th.setAttribute("aria-sort", sorted ? (sorted.descending ? "descending" : "ascending") : "none");
    head.append(th);
  });
  const body = el("tbody");
  for (const row of sortRows(state.rows, state.sort)) {
    body.append(
      el(
        "tr",
        {},
        ...state.columns.map((_, i) =>
          el("td", { className: numeric.has(i) ? "num" : "" }, cellText(row[i])),
        ),
      ),
    );
  }
  return el("div", { className: "table-box" }, el("table", {}, el("thead", {}, head), body));
}

function render(app: App) {
  const shown =
    state.rows.length === state.total
      ? `${state.total} rows`
      : `${state.rows.length} of ${state.total} rows shown`;
  const header = el(
    "header",
    {},
    el("h1", {}, state.key || "Report"),
    el(
      "p",
      { className: "muted" },
      el("span", { className: "count" }, shown),
      state.generatedAt ? ` · generated ${state.generatedAt}` : "",
    ),
  );
  if (state.total === 0) {
    root.replaceChildren(
      header,
      el("p", { className: "message empty" }, "This report has no rows for these parameters."),
    );
    return;
  }
  root.replaceChildren(
    header,
    toolbar(app),
    el("p", { className: "muted status", attrs: { role: "status" } }, state.status),
    chart(app) ?? "",
    table(app),
  );
}

showMessage(root, "waiting", "Waiting for the report…");
void connectView("okta-partners report viewer", (app) => {
  app.ontoolinput = ({ arguments: args }) => {
    state.key = typeof args?.key === "string" ? args.key : "";
    showMessage(root, "waiting", `Running ${state.key || "the report"}…`);
  };
  app.ontoolresult = (result) => {
    state.status = "";
    if (fromResult(result as CallResult, false)) render(app);
  };
  app.ontoolcancelled = ({ reason }) =>
    showMessage(root, "error", `The report was cancelled${reason ? `: ${reason}` : "."}`);
});
