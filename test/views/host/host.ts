/**
 * The test host page's script: the official host bridge (AppBridge + PostMessageTransport) renders
 * a view in a sandboxed iframe under the CSP its `_meta.ui.csp` allows, sends it the tool input and
 * result, and forwards its tool calls to the real server (through `callServerTool`, which the test
 * exposes from Node). Bundled for the page by the test, like a host's own code.
 */
import {
  AppBridge,
  type McpUiHostContext,
  type McpUiResourceCsp,
  PostMessageTransport,
} from "@modelcontextprotocol/ext-apps/app-bridge";

interface Mount {
  html: string;
  csp: McpUiResourceCsp;
  toolInput: Record<string, unknown>;
  toolResult: Record<string, unknown>;
  theme: "light" | "dark";
}

interface HostWindow extends Window {
  callServerTool(params: unknown): Promise<Record<string, unknown>>;
  mountView(mount: Mount): Promise<void>;
  setTheme(theme: "light" | "dark"): void;
  resizeView(width: number): void;
  downloads: unknown[];
}

const host = window as unknown as HostWindow;
host.downloads = [];
let bridge: AppBridge | undefined;
let context: McpUiHostContext = {};

/** The spec's restrictive CSP, widened only by the origins the view declared (ours: none). */
function policyOf(csp: McpUiResourceCsp): string {
  const list = (domains: string[] | undefined, none: string) => (domains?.length ? domains.join(" ") : none);
  return [
    "default-src 'none'",
    `script-src 'unsafe-inline' ${list(csp.resourceDomains, "")}`.trim(),
    `style-src 'unsafe-inline' ${list(csp.resourceDomains, "")}`.trim(),
    `img-src data: ${list(csp.resourceDomains, "")}`.trim(),
    `font-src ${list(csp.resourceDomains, "'none'")}`,
    `connect-src ${list(csp.connectDomains, "'none'")}`,
    `frame-src ${list(csp.frameDomains, "'none'")}`,
    `base-uri ${list(csp.baseUriDomains, "'none'")}`,
  ].join("; ");
}

function withPolicy(html: string, csp: McpUiResourceCsp): string {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${policyOf(csp)}">`;
  return html.replace("<head>", `<head>${meta}`);
}

host.mountView = async ({ html, csp, toolInput, toolResult, theme }) => {
  const iframe = document.getElementById("view") as HTMLIFrameElement;
  context = {
    theme,
    displayMode: "inline",
    platform: "web",
    containerDimensions: { maxHeight: 4000, width: 820 },
  };
  bridge = new AppBridge(
    null,
    { name: "okta-partners test host", version: "1.0.0" },
    { serverTools: {}, downloadFile: {}, logging: {} },
    { hostContext: context },
  );
  bridge.oncalltool = async (params) => (await host.callServerTool(params)) as never;
  bridge.ondownloadfile = async ({ contents }) => {
    host.downloads.push(...contents);
    return {};
  };
  bridge.onsizechange = ({ height }) => {
    if (height !== undefined) iframe.style.height = `${height}px`;
  };
  const initialized = new Promise<void>((resolve) => {
    bridge!.oninitialized = () => resolve();
  });
  iframe.srcdoc = withPolicy(html, csp);
  await bridge.connect(new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!));
  await initialized;
  await bridge.sendToolInput({ arguments: toolInput });
  await bridge.sendToolResult(toolResult as never);
};

host.setTheme = (theme) => {
  context = { ...context, theme };
  bridge?.setHostContext(context);
};

host.resizeView = (width) => {
  const iframe = document.getElementById("view") as HTMLIFrameElement;
  iframe.style.width = `${width}px`;
  context = { ...context, containerDimensions: { maxHeight: 4000, width } };
  bridge?.setHostContext(context);
};
