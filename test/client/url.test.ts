import { describe, expect, it } from "vitest";
import { encodeQuery, parseBaseUrl, requestTarget } from "../../src/client/url.js";

describe("base URL and request target", () => {
  it("keeps the base path, with or without a trailing slash", () => {
    for (const base of [
      "https://getokta.io/api/apps",
      "https://getokta.io/api/apps/",
      "https://getokta.io/api/apps//",
    ]) {
      const parsed = parseBaseUrl(base);
      expect(parsed).toEqual({ origin: "https://getokta.io", basePath: "/api/apps" });
      expect(requestTarget(parsed, "/education/students/12")).toBe("/api/apps/education/students/12");
      expect(requestTarget(parsed, "whoami")).toBe("/api/apps/whoami");
    }
  });
  it("works at the root of a host", () => {
    const parsed = parseBaseUrl("http://127.0.0.1:8080");
    expect(requestTarget(parsed, "/whoami")).toBe("/whoami");
  });
  it("rejects bad base URLs", () => {
    expect(() => parseBaseUrl("getokta.io/api")).toThrow(/absolute http/);
    expect(() => parseBaseUrl("ftp://getokta.io")).toThrow(/http or https/);
    expect(() => parseBaseUrl("https://u:p@getokta.io")).toThrow(/credentials/);
    expect(() => parseBaseUrl("https://getokta.io/api?x=1")).toThrow(/query/);
  });
  it("refuses absolute paths that would leave the base URL", () => {
    const parsed = parseBaseUrl("https://getokta.io/api/apps");
    expect(() => requestTarget(parsed, "https://evil.example/x")).toThrow(/relative/);
    expect(() => requestTarget(parsed, "//evil.example/x")).toThrow(/relative/);
  });
  it("encodes query values, dropping undefined", () => {
    expect(encodeQuery({ search: "Ali & Sons ü", page: 2, active: true, x: undefined })).toBe(
      "?search=Ali%20%26%20Sons%20%C3%BC&page=2&active=true",
    );
    expect(encodeQuery({})).toBe("");
    expect(encodeQuery(undefined)).toBe("");
  });
});
