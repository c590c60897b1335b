/**
 * A record's `created_at` decides whether a create under a caller's key this server never saw was
 * this call's or an earlier one's (handlers.ts). The contract gives it an offset; one without is
 * local time to whoever reads it, so it must not be read as a time at all.
 */
import { describe, expect, it } from "vitest";
import { createdAtOf } from "../../src/tools/handlers.js";

describe("createdAtOf", () => {
  it("reads ISO 8601 with an offset or Z as that instant", () => {
    expect(createdAtOf({ created_at: "2026-12-01T10:00:00+03:00" })?.ms).toBe(Date.UTC(2026, 11, 1, 7));
    expect(createdAtOf({ created_at: "2026-12-01T07:00:00.250Z" })?.ms).toBe(
      Date.UTC(2026, 11, 1, 7, 0, 0, 250),
    );
    expect(createdAtOf({ created_at: "2026-12-01T10:00:00+0300" })?.ms).toBe(Date.UTC(2026, 11, 1, 7));
  });

  it("refuses a time without an offset: its instant depends on this server's time zone", () => {
    const tz = process.env.TZ;
    try {
      // Where the schools are (UTC+3): read as local time, a record made now would look 3 h old.
      process.env.TZ = "Asia/Riyadh";
      expect(createdAtOf({ created_at: "2026-12-01T10:00:00" })).toBeUndefined();
      expect(createdAtOf({ created_at: "2026-12-01T10:00:00.123" })).toBeUndefined();
      expect(createdAtOf({ created_at: "2026-12-01" })).toBeUndefined();
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it("refuses what is not a time", () => {
    expect(createdAtOf({ created_at: "yesterday" })).toBeUndefined();
    expect(createdAtOf({ created_at: 1_764_576_000 })).toBeUndefined();
    expect(createdAtOf(undefined)).toBeUndefined();
  });
});
