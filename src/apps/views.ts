/**
 * MCP Apps (extension `io.modelcontextprotocol/ui`): the HTML views a UI host renders for a tool's
 * result, a report table for run_report and a student card for get_student. A view is built at
 * `npm run build` (scripts/build-views.ts) into one self-contained document in dist/views/; the
 * server only names it on the tool and serves it as a `ui://` resource. Hosts that did not declare
 * the extension see neither, so their tool and resource lists are exactly as without views.
 */
import { readFile } from "node:fs/promises";
import type { ClientCapabilities, ReadResourceResult } from "@modelcontextprotocol/server";
import type { ToolName } from "../platform/catalog.js";

/** The extension's id and the one MIME type of its views (the same as ext-apps' own constants). */
export const UI_EXTENSION_ID = "io.modelcontextprotocol/ui";
export const VIEW_MIME_TYPE = "text/html;profile=mcp-app";

export interface View {
  uri: string;
  /** The built document in dist/views/. */
  file: string;
  /** The tool whose results it shows: the view is served exactly when that tool is. */
  tool: ToolName;
  title: string;
  description: string;
}

export const VIEWS = {
  report: {
    uri: "ui://okta-partners/report.html",
    file: "report.html",
    tool: "run_report",
    title: "Report viewer",
    description: "A run_report result as a sortable table with a chart of its numbers, paged through next.",
  },
  student: {
    uri: "ui://okta-partners/student.html",
    file: "student.html",
    tool: "get_student",
    title: "Student card",
    description: "A get_student result as a card: name, grade, section, and the guardian with phone.",
  },
} as const satisfies Record<string, View>;

export type ViewName = keyof typeof VIEWS;

/**
 * Deny by default: no origin for fetches, scripts, styles, images or frames (every view is one
 * document with its script and style inline). Clipboard writing is asked for the copy button.
 */
export const VIEW_UI_META = {
  csp: { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] },
  permissions: { clipboardWrite: {} },
  prefersBorder: true,
} as const;

/** Whether the client declared it renders MCP Apps views (SEP-1865: servers check before offering them). */
export function showsViews(capabilities: ClientCapabilities | undefined): boolean {
  const ui = (capabilities?.extensions as Record<string, { mimeTypes?: unknown }> | undefined)?.[
    UI_EXTENSION_ID
  ];
  return Array.isArray(ui?.mimeTypes) && ui.mimeTypes.includes(VIEW_MIME_TYPE);
}

/** A tool definition's `_meta` naming its view: the current key, and the flat one older hosts read. */
export function viewMetaOf(view: View): Record<string, unknown> {
  return { ui: { resourceUri: view.uri }, "ui/resourceUri": view.uri };
}

/** Where the built views are, from src/apps/ (tests, tsx) and from dist/apps/ alike. */
const BUILT_VIEWS = new URL("../../dist/views/", import.meta.url);

const documents = new Map<string, Promise<string>>();

/** The view's document, read once per process; undefined when the views were not built. */
export async function viewDocument(view: View): Promise<string | undefined> {
  let document = documents.get(view.file);
  if (!document) {
    document = readFile(new URL(view.file, BUILT_VIEWS), "utf8");
    documents.set(view.file, document);
  }
  return document.catch(() => {
    documents.delete(view.file);
    return undefined;
  });
}

export function viewContents(view: View, html: string): ReadResourceResult {
  return { contents: [{ uri: view.uri, mimeType: VIEW_MIME_TYPE, text: html, _meta: { ui: VIEW_UI_META } }] };
}
