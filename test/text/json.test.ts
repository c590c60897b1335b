import { describe, expect, it } from "vitest";
import { parseJson } from "../../src/text/json.js";

describe("parseJson", () => {
  it("parses JSON without echoing the input", () => {
    const bad = parseJson('{"token":"sbx_secret_value" oops}');
    expect(bad.ok).toBe(false);
    expect(bad.ok ? "" : bad.message).not.toContain("sbx_secret_value");
  });
});
