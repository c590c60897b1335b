/**
 * A real browser for the view tests: Debian's chromium (headless, driven by puppeteer-core) loads
 * a host page (host/host.ts, bundled here) that renders a view through the official AppBridge.
 * The page's tool calls go to the real server through the SDK Client the test gives.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CallToolResult, Client } from "@modelcontextprotocol/client";
import puppeteer, { type Browser, type Frame, type Page } from "puppeteer-core";
import { bundleScript } from "../../scripts/build-views.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Whether the browser tests can run. Under CI a missing chromium fails the suite (never a
 * silent skip); on a developer's machine without it they are skipped, like the Redis tests.
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) {
    throw new Error(`No chromium at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  return false;
}

export const ARTIFACTS = fileURLToPath(new URL("../artifacts/", import.meta.url));

const HOST_SCRIPT = fileURLToPath(new URL("./host/host.ts", import.meta.url));

export interface HostPage {
  page: Page;
  /** The view's frame (about:srcdoc), once mounted. */
  view(): Frame;
  /** Console errors and uncaught exceptions of the page and the view. */
  errors: string[];
  /** Every request the page or the view made (a self-contained view makes none). */
  requests: string[];
  /** alert() / confirm() dialogs opened: an injected script would open one. */
  dialogs: string[];
  /** The tools the view called through the host, in order. */
  calls: string[];
}

export interface BrowserHarness {
  open(client: Client): Promise<HostPage>;
  close(): Promise<void>;
}

export async function startBrowser(): Promise<BrowserHarness> {
  const script = await bundleScript(HOST_SCRIPT);
  const hostHtml = `<!doctype html><html><head><meta charset="utf-8"><title>test host</title>
<style>body{margin:0;background:#888}iframe{display:block;width:820px;height:200px;border:0}</style></head>
<body><iframe id="view" sandbox="allow-scripts"></iframe><script>${script.replaceAll("</script", "<\\/script")}</script></body></html>`;
  const userDataDir = await mkdtemp(join(tmpdir(), "okmcp-chromium-"));
  const browser: Browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  await mkdir(ARTIFACTS, { recursive: true });
  return {
    async open(client) {
      const page = await browser.newPage();
      await page.setViewport({ width: 860, height: 900 });
      const host: HostPage = {
        page,
        errors: [],
        requests: [],
        dialogs: [],
        calls: [],
        view() {
          const frame = page.frames().find((f) => f.url() === "about:srcdoc");
          if (!frame) throw new Error("the view's frame is not there");
          return frame;
        },
      };
      page.on("console", (message) => {
        if (message.type() === "error") host.errors.push(message.text());
      });
      page.on("pageerror", (error) => host.errors.push(String(error)));
      page.on("request", (request) => host.requests.push(request.url()));
      page.on("dialog", (dialog) => {
        host.dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      await page.exposeFunction("callServerTool", async (params: { name: string; arguments?: object }) => {
        host.calls.push(params.name);
        return (await client.callTool(params as never)) as CallToolResult;
      });
      await page.setContent(hostHtml, { waitUntil: "load" });
      return host;
    },
    async close() {
      await browser.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Reads the view's resource from the server and renders it with this tool input and result. */
export async function mountView(
  host: HostPage,
  client: Client,
  uri: string,
  toolInput: Record<string, unknown>,
  toolResult: unknown,
  theme: "light" | "dark" = "light",
): Promise<Frame> {
  const { contents } = await client.readResource({ uri });
  const content = contents[0] as { text: string; _meta?: { ui?: { csp?: object } } };
  await host.page.evaluate(
    (mount) => (window as unknown as { mountView(m: unknown): Promise<void> }).mountView(mount),
    { html: content.text, csp: content._meta?.ui?.csp ?? {}, toolInput, toolResult, theme },
  );
  return host.view();
}

export async function screenshot(host: HostPage, name: string): Promise<string> {
  const path = join(ARTIFACTS, `${name}.png`);
  await host.page.screenshot({ path, fullPage: true });
  return path;
}
