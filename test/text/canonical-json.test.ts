import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/text/canonical-json.js";

describe("canonicalJson", () => {
  it("is the same for the same value whatever the key order, at every depth", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: "x" } })).toBe(
      canonicalJson({ a: { c: "x", d: [2, { e: 0, f: 1 }] }, b: 1 }),
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it("leaves out undefined members, so an option not given equals one given as undefined", () => {
    expect(canonicalJson({ a: 1, key: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it("tells different values apart", () => {
    expect(canonicalJson({ a: "1" })).not.toBe(canonicalJson({ a: 1 }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });
});
