/**
 * What every view shares: the official App connection to the host, the host's theme and style
 * variables followed as they change, and text-only DOM building (platform text is never HTML).
 */
import {
  App,
  applyDocumentTheme,
  applyHostFonts,
  applyHostStyleVariables,
  type McpUiHostContext,
} from "@modelcontextprotocol/ext-apps";

function followContext(context: McpUiHostContext | undefined) {
  if (!context) return;
  if (context.theme) applyDocumentTheme(context.theme);
  if (context.styles?.variables) applyHostStyleVariables(context.styles.variables);
  if (context.styles?.css?.fonts) applyHostFonts(context.styles.css.fonts);
}

/** A connected App; `setup` registers the view's handlers before the handshake, as the SDK asks. */
export async function connectView(name: string, setup: (app: App) => void): Promise<App> {
  // autoResize (the default) reports the content's size to the host whenever it changes.
  const app = new App({ name, version: "1.0.0" });
  app.onhostcontextchanged = followContext;
  app.onerror = (error) => console.warn(`${name}:`, error);
  setup(app);
  await app.connect();
  followContext(app.getHostContext());
  return app;
}

type Child = Node | string | null | undefined | false;

/** An element with text children only (strings become text nodes, never markup). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; title?: string; attrs?: Record<string, string> } = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.title) node.title = props.title;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/** The text a tool result says (its first text block), for errors and text-only results. */
export function resultText(result: { content?: { type: string; text?: string }[] }): string {
  return result.content?.find((c) => c.type === "text")?.text ?? "";
}

/** Replaces what the view shows with a message that says what happened (an error, nothing to show). */
export function showMessage(root: HTMLElement, kind: "error" | "empty" | "waiting", text: string) {
  root.replaceChildren(el("p", { className: `message ${kind}`, attrs: { role: "status" } }, text));
}
