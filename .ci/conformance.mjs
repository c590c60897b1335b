#!/usr/bin/env node
/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance) against our Streamable HTTP
 * server on the embedded sandbox. Two pinned versions: 0.1.13 (the default; later versions crash at
 * start on Node 20) and, with `--suite 0.1.16`, 0.1.16 (installed as the npm alias
 * `conformance-0116`; it needs Node 22+). Both run the same scenarios; the server runs on the Node
 * that runs this script.
 *
 * Runs every scenario that applies to this server (see bench/CONFORMANCE.md for those that do not,
 * and why). The server requires an API key and the suite cannot send one, so the suite talks to a
 * loopback relay that adds `Authorization` and forwards every request unchanged otherwise (Host and
 * Origin included, so the DNS-rebinding scenario still meets the server's own checks). The server
 * runs exactly as shipped: no test switch relaxes its auth.
 *
 * Usage: node .ci/conformance.mjs [--stateless] [--suite 0.1.13|0.1.16] [--scenario NAME ...]
 *        (after `npm run build`)
 * Exit status: non-zero if any scenario fails.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer, request } from "node:http";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = `${ROOT}dist/cli.js`;
/** Each pinned suite version: where npm installs it (package.json devDependencies), and its Node floor. */
const SUITES = {
  "0.1.13": { package: "@modelcontextprotocol/conformance", minNode: 20 },
  "0.1.16": { package: "conformance-0116", minNode: 22 },
};

/** Scenarios that apply to a server with this one's capabilities. Keep in sync with bench/CONFORMANCE.md. */
const APPLICABLE = [
  "server-initialize",
  "ping",
  "logging-set-level",
  "tools-list",
  "resources-list",
  "prompts-list",
  "server-sse-multiple-streams",
  "server-sse-polling",
  "dns-rebinding-protection",
];

const argv = process.argv.slice(2);
const stateless = argv.includes("--stateless");
const chosen = argv.flatMap((a, i) => (argv[i - 1] === "--scenario" ? [a] : []));
const scenarios = chosen.length > 0 ? chosen : APPLICABLE;
const suite = argv.includes("--suite") ? argv[argv.indexOf("--suite") + 1] : "0.1.13";
if (!SUITES[suite]) {
  console.error(`conformance: unknown --suite "${suite}"; known: ${Object.keys(SUITES).join(", ")}`);
  process.exit(1);
}
if (Number(process.versions.node.split(".")[0]) < SUITES[suite].minNode) {
  console.error(
    `conformance: ${suite} needs Node ${SUITES[suite].minNode}+; this is ${process.versions.node}`,
  );
  process.exit(1);
}
const CONFORMANCE = `${ROOT}node_modules/${SUITES[suite].package}/dist/index.js`;

if (!existsSync(CLI)) {
  console.error("conformance: dist/cli.js is missing; run `npm run build` first");
  process.exit(1);
}
if (!existsSync(CONFORMANCE)) {
  console.error("conformance: @modelcontextprotocol/conformance is not installed; run `npm ci`");
  process.exit(1);
}

const listen = (server) =>
  new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server.address().port));
  });
const freePort = async () => {
  const s = createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
};

// ---- our server, as shipped, on the embedded sandbox ----
const apiKey = randomBytes(24).toString("hex");
const port = await freePort();
const serverArgs = [CLI, "--sandbox", "--transport", "http", "--host", "127.0.0.1", "--port", String(port)];
if (stateless) serverArgs.push("--stateless");
const server = spawn(process.execPath, serverArgs, {
  stdio: ["ignore", "ignore", "pipe"],
  env: { PATH: process.env.PATH ?? "", OKTA_MCP_API_KEY: apiKey, LOG_LEVEL: "warn" },
});
let serverLog = "";
server.stderr.on("data", (c) => {
  serverLog = (serverLog + c.toString()).slice(-20_000);
});
const stopServer = () => {
  if (server.exitCode === null) server.kill("SIGTERM");
};
process.on("exit", stopServer);

const deadline = Date.now() + 20_000;
for (;;) {
  if (server.exitCode !== null) {
    console.error(`conformance: the server exited (${server.exitCode}):\n${serverLog}`);
    process.exit(1);
  }
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    if (res.ok) break;
  } catch {}
  if (Date.now() > deadline) {
    console.error(`conformance: the server did not come up:\n${serverLog}`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 100));
}

// ---- the relay: adds the API key, changes nothing else ----
const relay = createServer((req, res) => {
  const upstream = request(
    {
      host: "127.0.0.1",
      port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, authorization: `Bearer ${apiKey}` },
    },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  upstream.on("error", () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
  res.on("close", () => upstream.destroy());
});
const relayPort = await listen(relay);
const url = `http://127.0.0.1:${relayPort}/mcp`;

// ---- the scenarios ----
console.log(
  `conformance ${suite} on Node ${process.versions.node} against ${stateless ? "stateless" : "stateful"} Streamable HTTP (${url})`,
);
const failed = [];
for (const scenario of scenarios) {
  // Run as a child so the relay keeps serving while the suite runs.
  const result = await new Promise((resolve) => {
    const child = spawn(process.execPath, [CONFORMANCE, "server", "--url", url, "--scenario", scenario], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
  const ok = result.code === 0 && !/\bFAIL(ED|URE)?\b/.test(result.out);
  const tally = result.out.match(/Passed: \d+\/\d+[^\n]*/)?.[0] ?? "";
  console.log(`${ok ? "PASS" : "FAIL"}  ${scenario.padEnd(28)} ${tally}`);
  if (process.env.CONFORMANCE_VERBOSE) console.log(result.out);
  if (!ok) {
    failed.push(scenario);
    console.log(
      result.out
        .split("\n")
        .map((l) => `      ${l}`)
        .join("\n"),
    );
  }
}
relay.close();
stopServer();
console.log(
  failed.length === 0
    ? `all ${scenarios.length} scenarios passed`
    : `${failed.length} failed: ${failed.join(", ")}`,
);
process.exit(failed.length === 0 ? 0 : 1);
