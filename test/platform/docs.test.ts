import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderReadme } from "../../scripts/docs.js";
import { TOOL_NAMES } from "../../src/platform/catalog.js";

describe("README tables generated from the catalog", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

  it("are up to date (run `npm run docs` after changing the catalog)", () => {
    expect(renderReadme(readme)).toBe(readme);
  });

  it("name every tool", () => {
    for (const tool of TOOL_NAMES) expect(readme).toContain(`\`${tool}\``);
  });
});
