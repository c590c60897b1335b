/**
 * Docker is not available where this project is built, so the image is never built here. This
 * lints the text of Dockerfile, .dockerignore and compose.yaml for the properties that matter:
 * multi-stage, non-root, a HEALTHCHECK on /healthz without curl, HTTP by default, no secrets;
 * and compose.yaml's three instances, balancer and Redis against deploy/ (haproxy.cfg itself is
 * run by test/cluster/).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseInstallationsFile } from "../../src/installations-file.js";
import { sha256Hex } from "../../src/transport/client-auth.js";
import { ROOT, readText } from "./helpers.js";

const dockerfile = readText("Dockerfile");
/** Instructions with line continuations joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n\s*/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const named = (op: string) => instructions.filter((l) => l.toUpperCase().startsWith(`${op} `));
const SECRET_NAME = /(TOKEN|KEY|SECRET|PASSWORD)/i;

describe("Dockerfile", () => {
  it("builds in one stage and runs from another, both on node:24-slim (the current LTS; Node 20 is past its end of life)", () => {
    const froms = named("FROM");
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/^FROM node:24-slim\b/);
    expect(named("COPY").some((c) => c.includes("--from=build"))).toBe(true);
  });

  it("runs as a non-root user", () => {
    const users = named("USER");
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^USER\s+(root|0)(:|\s|$)/);
  });

  it("checks /healthz with node (slim has no curl)", () => {
    const [check] = named("HEALTHCHECK");
    expect(check).toBeDefined();
    expect(check).toContain("/healthz");
    expect(check).toMatch(/"node"|\bnode\b/);
    expect(check).not.toMatch(/curl|wget/);
  });

  it("serves HTTP on all interfaces by default", () => {
    const run = [...named("ENTRYPOINT"), ...named("CMD")].join(" ");
    expect(run).toContain("dist/cli.js");
    expect(run).toMatch(/"--transport",\s*"http"/);
    expect(run).toMatch(/"--host",\s*"0\.0\.0\.0"/);
  });

  it("bakes in no secret: no ENV or ARG with a token or key, no secret files copied", () => {
    for (const line of [...named("ENV"), ...named("ARG")]) expect(line).not.toMatch(SECRET_NAME);
    for (const copy of named("COPY")) expect(copy).not.toMatch(/\.env|secret|token/i);
  });

  it(".dockerignore admits only what the build needs", () => {
    const lines = readText(".dockerignore")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    expect(lines[0]).toBe("*");
    expect(lines.filter((l) => l.startsWith("!")).every((l) => !/env|secret/i.test(l))).toBe(true);
  });

  it(".dockerignore admits every file the build stage copies from the context", () => {
    // The allow-list starts from "*": a COPY source it does not admit is missing from the
    // context and fails `docker build`, which is never run here.
    const admitted = readText(".dockerignore")
      .split("\n")
      .filter((l) => l.startsWith("!"))
      .map((l) => l.slice(1).replace(/\/$/, ""));
    const sources = named("COPY")
      .filter((l) => !/--from=/.test(l))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    const missing = sources.filter(
      (source) => !admitted.some((path) => source === path || source.startsWith(`${path}/`)),
    );
    expect(sources.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });
});

describe("compose.yaml and deploy/", () => {
  const compose = readText("compose.yaml");
  const haproxy = readText("deploy/haproxy.cfg");

  it("runs three instances over HTTP behind HAProxy with deploy/haproxy.cfg, next to Redis", () => {
    for (const n of [1, 2, 3]) {
      expect(compose).toMatch(new RegExp(`^ {2}okta-mcp-${n}: \\*okta-mcp$`, "m"));
      // The balancer's defaults name exactly these services, on the port they listen on.
      expect(haproxy).toContain(`"\${MCP_SERVER_${n}-okta-mcp-${n}:3333}"`);
    }
    expect(compose).toMatch(/"--transport", "http", "--host", "0\.0\.0\.0"/);
    expect(compose).not.toContain("--port"); // the default, 3333, is the port haproxy.cfg names
    expect(compose).toContain("./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro");
    expect(haproxy).toContain(`bind "\${MCP_BIND-:3333}"`);
    expect(compose).toMatch(/^ {2}redis:/m);
    expect(compose).toMatch(/REDIS_URL: redis:\/\/redis:6379/);
  });

  it("publishes only the balancer, on the host's loopback", () => {
    const published = compose.match(/^\s+ports:\n(\s+- .*\n)+/gm) ?? [];
    expect(published).toHaveLength(1);
    expect(published[0]).toContain('"127.0.0.1:3333:3333"');
    const balancer = compose.slice(compose.search(/^ {2}balancer:/m), compose.search(/^ {2}redis:/m));
    expect(balancer).toContain(published[0]);
  });

  it("gives every instance the one installations file, request-state key and webhook secret, all required", () => {
    expect(compose).toContain('"--installations", "/config/installations.json"');
    expect(compose).toContain("./deploy/installations.json:/config/installations.json:ro");
    expect(compose).toMatch(/OKTA_MCP_REQUEST_STATE_KEY: \$\{OKTA_MCP_REQUEST_STATE_KEY:\?/);
    expect(compose).toMatch(/OKTA_WEBHOOK_SECRET: \$\{OKTA_WEBHOOK_SECRET:\?/);
    expect(compose).not.toMatch(/OKTA_PARTNER_TOKEN:/);
  });

  it("the installations example reads the token from the compose secret, and is refused until its key hash is filled in", () => {
    const example = join(ROOT, "deploy/installations.example.json");
    expect(() => parseInstallationsFile(example, {})).toThrow(
      /installations\[0\] \("my-school"\)\.api_key_sha256\[0\]/,
    );
    const filled = join(mkdtempSync(join(tmpdir(), "okta-mcp-compose-")), "installations.json");
    writeFileSync(
      filled,
      readText("deploy/installations.example.json").replace(/"<sha256[^>]*>"/, `"${sha256Hex("a key")}"`),
    );
    // Filled in, all that is left is the token, which only the container has: the compose secret.
    expect(() => parseInstallationsFile(filled, {})).toThrow(
      /^[^\n]*installations\[0\] \("my-school"\)\.token_file: "\/run\/secrets\/okta_partner_token" cannot be read/,
    );
    expect(compose).toMatch(/^ {2}okta_partner_token:\n\s+file: \.\/secrets\//m);
  });
});
