/** Resource template titles read as English: "An employee", not "A employee". */
import { describe, expect, it } from "vitest";
import { connectInProcess, sandboxServer } from "../helpers.js";

const served = sandboxServer(connectInProcess);

describe("resource template titles", () => {
  it("take the article their noun needs", async () => {
    const { resourceTemplates } = await served.mcp.client.listResourceTemplates();
    const titles = resourceTemplates.map((t) => t.title);
    expect(titles).toEqual(expect.arrayContaining(["A student", "A guardian", "An employee"]));
    for (const title of titles) expect(title ?? "", "article").not.toMatch(/^A [aeiou]/i);
  });
});
