/**
 * The two install manifests, generated so they never drift from what ships:
 * - `server.json`: the MCP registry listing (npm package, stdio, its environment variables);
 * - `mcpb/manifest.json`: the Claude Desktop extension (.mcpb), the token as a sensitive field.
 * Name, version, description and engines come from package.json, the tool list from the catalog.
 *
 *   npm run manifests                     rewrite both files (a test fails when they are stale)
 *   npm run manifests -- --bundle [DIR]   also stage a self-contained extension in DIR (default:
 *                                         a new temporary directory), to pack with
 *                                         `npx @anthropic-ai/mcpb pack DIR`
 */
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_BASE_URL } from "../src/client/config.js";
import { CATALOG } from "../src/platform/catalog.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface PackageJson {
  name: string;
  version: string;
  description: string;
  license: string;
  mcpName: string;
  keywords?: string[];
  engines: { node: string };
  bin: Record<string, string>;
  repository: { type: string; url: string };
}

export function readPackageJson(): PackageJson {
  return JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as PackageJson;
}

/** `git+https://github.com/OWNER/REPO.git` -> the browsable URL and the owner. */
export function githubRepo(pkg: PackageJson): { url: string; owner: string } {
  const m = /github\.com[/:]([^/]+)\/([^/.]+)(?:\.git)?$/.exec(pkg.repository.url);
  if (!m) throw new Error(`package.json repository.url is not a GitHub URL: ${pkg.repository.url}`);
  return { url: `https://github.com/${m[1]}/${m[2]}`, owner: m[1]! };
}

export const REGISTRY_SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json";
export const MCPB_MANIFEST_VERSION = "0.3";
const DISPLAY_NAME = "Okta Partners (schools)";
const AUTHOR = "Okta Partners MCP contributors";
// The registry caps descriptions at 100 characters; package.json's is longer.
const SHORT_DESCRIPTION =
  "School platform API (students, guardians, staff, reports, SMS) as MCP tools, with a sandbox";

/**
 * What the stdio server reads from its environment (src/config.ts USAGE documents the same
 * names; a test checks each one is there). OKTA_MCP_API_KEY is left out: it is for HTTP only.
 */
const ENVIRONMENT = [
  {
    name: "OKTA_PARTNER_TOKEN",
    description: "The installation token (Bearer) of the school's app. Or set OKTA_PARTNER_TOKEN_FILE.",
    isRequired: true,
    isSecret: true,
  },
  {
    name: "OKTA_PARTNER_TOKEN_FILE",
    description: "A file holding the token, instead of OKTA_PARTNER_TOKEN (keeps it out of client configs).",
    format: "filepath",
    isRequired: false,
    isSecret: false,
  },
  {
    name: "OKTA_API_BASE_URL",
    description: "The platform's base URL; its sandbox is https://dev.getokta.io/api/apps.",
    default: DEFAULT_BASE_URL,
    isRequired: false,
    isSecret: false,
  },
  {
    name: "LOG_LEVEL",
    description: "pino log level; logs go to stderr only, with tokens redacted.",
    default: "info",
    choices: ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
    isRequired: false,
    isSecret: false,
  },
] as const;

export const ENVIRONMENT_NAMES: readonly string[] = ENVIRONMENT.map((e) => e.name);

export function serverJson(pkg: PackageJson) {
  const repo = githubRepo(pkg);
  return {
    $schema: REGISTRY_SCHEMA,
    name: pkg.mcpName,
    title: DISPLAY_NAME,
    description: SHORT_DESCRIPTION,
    repository: { url: repo.url, source: "github" },
    websiteUrl: `${repo.url}#readme`,
    version: pkg.version,
    packages: [
      {
        registryType: "npm",
        registryBaseUrl: "https://registry.npmjs.org",
        identifier: pkg.name,
        version: pkg.version,
        transport: { type: "stdio" },
        environmentVariables: ENVIRONMENT,
      },
    ],
  };
}

/** The bin's path inside the package, which is also the bundle's layout (dist/ at its root). */
function entryPoint(pkg: PackageJson): string {
  const bin = pkg.bin[pkg.name];
  if (!bin) throw new Error(`package.json bin has no "${pkg.name}" entry`);
  return bin.replace(/^\.\//, "");
}

/** `${name}`: a variable Claude Desktop substitutes when it installs the extension. */
const hostVariable = (name: string) => `\${${name}}`;

export function mcpbManifest(pkg: PackageJson) {
  const repo = githubRepo(pkg);
  const entry = entryPoint(pkg);
  return {
    manifest_version: MCPB_MANIFEST_VERSION,
    name: pkg.name,
    display_name: DISPLAY_NAME,
    version: pkg.version,
    description: pkg.description,
    long_description:
      "Ask in plain language about your school's students, guardians, grades, sections, terms, staff and reports, and send SMS / WhatsApp / email. Tools appear only for the scopes your installation was granted; writes carry idempotency keys so a retry never makes a second record. Not related to the identity company Okta.",
    author: { name: AUTHOR },
    repository: { type: "git", url: `${repo.url}.git` },
    homepage: repo.url,
    documentation: `${repo.url}#readme`,
    support: `${repo.url}/issues`,
    license: pkg.license,
    keywords: pkg.keywords ?? [],
    server: {
      type: "node",
      entry_point: entry,
      mcp_config: {
        command: "node",
        args: [`${hostVariable("__dirname")}/${entry}`],
        env: {
          OKTA_PARTNER_TOKEN: hostVariable("user_config.token"),
          OKTA_API_BASE_URL: hostVariable("user_config.base_url"),
        },
      },
    },
    // Every tool the server can serve; an installation sees those its scopes grant.
    tools: (CATALOG as readonly { tool: string; description: string }[]).map((e) => ({
      name: e.tool,
      description: e.description,
    })),
    tools_generated: false,
    prompts_generated: true,
    compatibility: {
      platforms: ["darwin", "win32", "linux"],
      runtimes: { node: pkg.engines.node },
    },
    user_config: {
      token: {
        type: "string",
        title: "Installation token",
        description: "The Okta Partners installation token of your school's app. Stored in the OS keychain.",
        sensitive: true,
        required: true,
      },
      base_url: {
        type: "string",
        title: "API base URL",
        description:
          "Leave as is for production; https://dev.getokta.io/api/apps for the platform's sandbox.",
        default: DEFAULT_BASE_URL,
        required: false,
      },
    },
  };
}

/** Generated file path (relative to the repository root) -> its content as JSON text. */
export function renderManifests(pkg = readPackageJson()): Record<string, string> {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    "server.json": json(serverJson(pkg)),
    "mcpb/manifest.json": json(mcpbManifest(pkg)),
  };
}

/** A directory a bundle may not be staged in: a mistake of the caller, told in one line. */
export class BundleDirRefused extends Error {
  override name = "BundleDirRefused";
}

/**
 * `dir`, resolved, when a bundle may be staged there. It is emptied first, so anything but a
 * previous bundle or an empty place is refused (BundleDirRefused), before anything is written.
 */
export function checkedBundleDir(dir: string): string {
  const target = resolve(dir);
  if (!relative(target, ROOT).startsWith(".."))
    throw new BundleDirRefused(`refusing to stage a bundle in ${target}: it contains this repository`);
  if (existsSync(target) && readdirSync(target).length > 0 && !existsSync(join(target, "manifest.json")))
    throw new BundleDirRefused(`refusing to empty ${target}: it is not empty and holds no previous bundle`);
  return target;
}

/**
 * A self-contained extension directory: the published package's files (what `npm pack` ships),
 * its production dependencies from the lockfile, and the manifest. Claude Desktop runs it with
 * its own Node, so nothing is fetched at launch. Needs `npm run build` first.
 */
export function stageBundle(dir: string, pkg = readPackageJson()): string {
  const target = checkedBundleDir(dir);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "okta-mcpb-"));
  try {
    // --ignore-scripts: pack the current dist/ instead of rebuilding under running tests.
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], {
        cwd: ROOT,
        encoding: "utf8",
      }),
    ) as Array<{ filename: string }>;
    execFileSync("tar", ["-xzf", join(work, packed[0]!.filename), "-C", target, "--strip-components=1"]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  copyFileSync(join(ROOT, "package-lock.json"), join(target, "package-lock.json"));
  execFileSync("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], {
    cwd: target,
    stdio: ["ignore", "ignore", "inherit"],
  });
  rmSync(join(target, "package-lock.json"));
  writeFileSync(join(target, "manifest.json"), renderManifests(pkg)["mcpb/manifest.json"]!);
  return target;
}

/** The bundle directory `--bundle [DIR]` names (a new temporary one without DIR), checked. */
function bundleDirOf(argv: readonly string[]): string | undefined {
  const at = argv.indexOf("--bundle");
  if (at === -1) return undefined;
  const given = argv[at + 1];
  return checkedBundleDir(
    given && !given.startsWith("--") ? given : mkdtempSync(join(tmpdir(), "okta-partners-mcpb-")),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let bundleDir: string | undefined;
  try {
    // Checked before any file is written: a refused directory leaves everything as it was.
    bundleDir = bundleDirOf(process.argv);
  } catch (error) {
    if (!(error instanceof BundleDirRefused)) throw error;
    process.stderr.write(`build-manifests: ${error.message}\n`);
    process.exit(1);
  }
  for (const [path, text] of Object.entries(renderManifests())) {
    mkdirSync(join(ROOT, path, ".."), { recursive: true });
    writeFileSync(join(ROOT, path), text);
    process.stderr.write(`${path} written\n`);
  }
  // Biome owns the layout of every JSON file here (`npm test` lints it); the test compares
  // parsed content, so formatting never counts as drift.
  execFileSync(
    join(ROOT, "node_modules/.bin/biome"),
    ["format", "--write", ...Object.keys(renderManifests())],
    {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  if (bundleDir !== undefined) {
    const staged = stageBundle(bundleDir);
    process.stderr.write(`extension staged in ${staged}\nnext: npx @anthropic-ai/mcpb pack ${staged}\n`);
  }
}
