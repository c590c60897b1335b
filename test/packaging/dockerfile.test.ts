/**
 * Docker is not available where this project is built, so the image is never built here. This
 * lints the text of Dockerfile, .dockerignore and compose.yaml for the properties that matter:
 * multi-stage, non-root, a HEALTHCHECK on /healthz without curl, HTTP by default, no secrets.
 */
import { describe, expect, it } from "vitest";
import { readText } from "./helpers.js";

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
});

describe("compose.yaml", () => {
  const compose = readText("compose.yaml");

  it("runs the server over HTTP next to Redis, and names REDIS_URL", () => {
    expect(compose).toMatch(/^\s{2}redis:/m);
    expect(compose).toMatch(/REDIS_URL: redis:\/\/redis:6379/);
    expect(compose).toMatch(/"--transport", "http"/);
    expect(compose).toContain("--allowed-hosts");
  });

  it("takes the token from a secret file and the API key from the environment", () => {
    expect(compose).toMatch(/OKTA_PARTNER_TOKEN_FILE: \/run\/secrets\//);
    expect(compose).toMatch(/OKTA_MCP_API_KEY: \$\{OKTA_MCP_API_KEY:\?/);
    expect(compose).not.toMatch(/OKTA_PARTNER_TOKEN:/);
  });
});
