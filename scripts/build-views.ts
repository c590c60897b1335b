/**
 * Builds each MCP Apps view (src/views/<name>/main.ts) into one self-contained HTML document in
 * dist/views/<name>.html: the bundled script (the official ext-apps App included) and the style
 * inline, nothing loaded from any origin. Run by `npm run build`; fails when a view passes 1 MB.
 */
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "vite";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = `${ROOT}dist/views/`;
const MAX_BYTES = 1024 * 1024;
const VIEWS = { report: "Report", student: "Student" } as const;

/** Bundles one entry into a single minified script (an IIFE: no module loading, nothing imported). */
export async function bundleScript(entry: string): Promise<string> {
  const output = await build({
    configFile: false,
    logLevel: "warn",
    build: {
      write: false,
      minify: true,
      lib: { entry, formats: ["iife"], name: "view", fileName: () => "view.js" },
    },
  });
  const outputs = Array.isArray(output) ? output : [output];
  const chunk = outputs.flatMap((o) => ("output" in o ? o.output : [])).find((file) => file.type === "chunk");
  if (chunk?.type !== "chunk") throw new Error(`no script built from ${entry}`);
  return chunk.code;
}

/** Inline script text must not close its own element. */
const inlineScript = (code: string) => code.replaceAll("</script", "<\\/script").replaceAll("<!--", "<\\!--");

function documentOf(title: string, css: string, script: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${css}</style>
</head>
<body>
<main id="app"></main>
<script>${inlineScript(script)}</script>
</body>
</html>
`;
}

async function main() {
  await mkdir(OUT, { recursive: true });
  const base = await readFile(`${ROOT}src/views/shared/base.css`, "utf8");
  for (const [name, title] of Object.entries(VIEWS)) {
    const dir = `${ROOT}src/views/${name}/`;
    const [script, css] = await Promise.all([
      bundleScript(`${dir}main.ts`),
      readFile(`${dir}${name}.css`, "utf8"),
    ]);
    const file = `${OUT}${name}.html`;
    await writeFile(file, documentOf(title, `${base}\n${css}`, script));
    const { size } = await stat(file);
    if (size > MAX_BYTES) throw new Error(`${file} is ${size} bytes, over the 1 MB a view may weigh`);
    console.error(`view ${name}: ${file} (${Math.round(size / 1024)} KB)`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
