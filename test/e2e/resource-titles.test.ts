/** Resource template titles read as English: "An employee", not "A employee". */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/index.js";
import { connectInProcess, type InProcessHarness, sandboxWith } from "../helpers.js";

let sandbox: Sandbox;
let mcp: InProcessHarness;
beforeAll(async () => {
  sandbox = await sandboxWith();
  mcp = await connectInProcess(sandbox);
});
afterAll(async () => {
  await mcp?.close();
  await sandbox?.stop();
});

describe("resource template titles", () => {
  it("take the article their noun needs", async () => {
    const { resourceTemplates } = await mcp.client.listResourceTemplates();
    const titles = resourceTemplates.map((t) => t.title);
    expect(titles).toEqual(expect.arrayContaining(["A student", "A guardian", "An employee"]));
    for (const title of titles) expect(title ?? "", "article").not.toMatch(/^A [aeiou]/i);
  });
});
