/**
 * Complete answers through tools alone (most clients' models cannot read resources): every row
 * of a report, every record of an all_pages listing that stopped early, and filters the platform
 * lacks, each followed through `next` to the end and compared with the sandbox's own data.
 * In-process over linked transports against the real sandbox.
 */
import { describe, expect, it } from "vitest";
import type { StoredRecord } from "../../src/sandbox/index.js";
import {
  connectInProcess,
  type InProcessHarness,
  sandboxServer,
  sandboxWith,
  structured,
  textOf,
} from "../helpers.js";

type Args = Record<string, unknown>;

interface ReportPage {
  data: { key: string; columns: string[]; rows: unknown[][] };
  run_id: string;
  row_offset: number;
  total_rows: number;
  next?: Args;
}

interface ListPage {
  data: Array<Record<string, unknown>>;
  total: number;
  offset?: number;
  next?: Args;
  stopped_early?: boolean;
  stopped_by?: string;
  scan?: { records_scanned: number; pages_scanned: number; complete: boolean; reused: boolean };
  truncated?: { shown: number; omitted: number; hint: string };
}

/** Calls a tool, then follows `next` to the end; every answer in order. */
async function follow<T extends { next?: Args }>(
  h: InProcessHarness,
  name: string,
  args: Args,
  limit = 60,
): Promise<T[]> {
  const answers: T[] = [];
  let current: Args | undefined = args;
  while (current) {
    const result = await h.client.callTool({ name, arguments: current });
    expect(result.isError, textOf(result)).toBeFalsy();
    const answer = structured<T>(result);
    answers.push(answer);
    current = answer.next;
    expect(answers.length, "next never ended").toBeLessThanOrEqual(limit);
  }
  return answers;
}

const idsOf = (pages: ListPage[]) => pages.flatMap((p) => p.data.map((r) => r.id as number));

/** The query parameters the contract's list endpoints know; anything else must never go out. */
const CONTRACT_QUERY = new Set(["page", "per_page", "search", "grade_id", "academic_year_id"]);

describe("complete answers", () => {
  const served = sandboxServer(connectInProcess);
  const students = () => served.sandbox.records<StoredRecord & Record<string, unknown>>(42, "students");
  const guardians = () => served.sandbox.records<StoredRecord & Record<string, unknown>>(42, "guardians");

  async function directRun(key: string, params: Args): Promise<unknown[][]> {
    const res = await fetch(`${served.sandbox.baseUrl}/reports/builder/${key}/run`, {
      method: "POST",
      headers: { authorization: `Bearer ${served.sandbox.token}`, "content-type": "application/json" },
      body: JSON.stringify({ params }),
    });
    return ((await res.json()) as { data: { rows: unknown[][] } }).data.rows;
  }

  describe("run_report pages its rows", () => {
    it("a report of more than 100 rows read to the end through next, from one run", async () => {
      const expected = await directRun("guardian_contact_list", { grade_id: 1 });
      expect(expected.length).toBeGreaterThan(100);
      served.sandbox.clearRequests();
      const pages = await follow<ReportPage>(served.mcp, "run_report", {
        key: "guardian_contact_list",
        params: { grade_id: 1 },
      });
      expect(pages.length).toBeGreaterThan(1);
      expect(pages.map((p) => p.total_rows)).toEqual(pages.map(() => expected.length));
      expect(new Set(pages.map((p) => p.run_id)).size).toBe(1);
      expect(pages.flatMap((p) => p.data.rows)).toEqual(expected);
      // Later pages read the stored run: the report ran once.
      expect(served.sandbox.requests.filter((r) => r.tool === "run_report")).toHaveLength(1);
      expect(pages.at(-1)?.next).toBeUndefined();
    });

    it("row_limit sets the page size and next keeps it; the offsets are exact", async () => {
      const first = structured<ReportPage>(
        await served.mcp.client.callTool({
          name: "run_report",
          arguments: { key: "guardian_contact_list", params: { grade_id: 2 }, row_limit: 50 },
        }),
      );
      expect(first.data.rows).toHaveLength(50);
      expect(first.next).toEqual({
        key: "guardian_contact_list",
        run_id: first.run_id,
        row_offset: 50,
        row_limit: 50,
      });
      const pages = [first, ...(await follow<ReportPage>(served.mcp, "run_report", first.next!))];
      expect(pages.map((p) => p.row_offset)).toEqual([0, 50, 100]);
      expect(pages.flatMap((p) => p.data.rows)).toEqual(
        await directRun("guardian_contact_list", { grade_id: 2 }),
      );
    });

    it("the byte cap cuts a page without losing rows: next starts at the first row not shown", async () => {
      const small = await connectInProcess(served.sandbox, { maxResultBytes: 4_000 });
      try {
        const pages = await follow<ReportPage>(small, "run_report", {
          key: "guardian_contact_list",
          params: { grade_id: 3 },
          row_limit: 500,
        });
        expect(pages.length).toBeGreaterThan(2);
        expect(pages.flatMap((p) => p.data.rows)).toEqual(
          await directRun("guardian_contact_list", { grade_id: 3 }),
        );
      } finally {
        await small.close();
      }
    });

    /** The first page of a report long enough to have a next page. */
    const firstPageOfGrade4 = async () =>
      structured<ReportPage>(
        await served.mcp.client.callTool({
          name: "run_report",
          arguments: { key: "guardian_contact_list", params: { grade_id: 4 } },
        }),
      );

    it("an unknown or evicted run says to run the report again; nothing is sent", async () => {
      const first = await firstPageOfGrade4();
      expect(first.next).toBeDefined();
      // The server keeps the newest 50 runs: 50 more push this one out.
      for (let i = 0; i < 50; i++) {
        const r = await served.mcp.client.callTool({
          name: "run_report",
          arguments: { key: "enrolment_by_grade" },
        });
        expect(r.isError, textOf(r)).toBeFalsy();
      }
      served.sandbox.clearRequests();
      const evicted = await served.mcp.client.callTool({ name: "run_report", arguments: first.next! });
      expect(evicted.isError).toBe(true);
      expect(textOf(evicted)).toMatch(/run_id/);
      expect(textOf(evicted)).toMatch(/run the report again/i);
      const unknown = await served.mcp.client.callTool({
        name: "run_report",
        arguments: { key: "guardian_contact_list", run_id: "00000000-0000-4000-8000-000000000000" },
      });
      expect(unknown.isError).toBe(true);
      expect(textOf(unknown)).toMatch(/run the report again/i);
      expect(served.sandbox.requests).toEqual([]);
    });

    it("a run kept by another instance is not called expired: another instance is named as a place it may be", async () => {
      const first = await firstPageOfGrade4();
      expect(first.next).toBeDefined();
      // A second instance of the same installation (round robin sends the next page anywhere).
      const other = await connectInProcess(served.sandbox);
      try {
        served.sandbox.clearRequests();
        const elsewhere = await other.client.callTool({ name: "run_report", arguments: first.next! });
        expect(elsewhere.isError).toBe(true);
        expect(textOf(elsewhere)).toMatch(/run the report again/i);
        expect(textOf(elsewhere)).not.toMatch(/expired/);
        expect(textOf(elsewhere)).toMatch(/another instance/);
        expect(served.sandbox.requests).toEqual([]);
      } finally {
        await other.close();
      }
    });

    it("a stored run is read only as the report it is, and without new params", async () => {
      const first = structured<ReportPage>(
        await served.mcp.client.callTool({
          name: "run_report",
          arguments: { key: "guardian_contact_list", params: { grade_id: 5 } },
        }),
      );
      const otherKey = await served.mcp.client.callTool({
        name: "run_report",
        arguments: { ...first.next, key: "staff_directory" },
      });
      expect(otherKey.isError).toBe(true);
      expect(textOf(otherKey)).toContain("guardian_contact_list");
      const withParams = await served.mcp.client.callTool({
        name: "run_report",
        arguments: { ...first.next, params: { grade_id: 6 } },
      });
      expect(withParams.isError).toBe(true);
      expect(textOf(withParams)).toMatch(/params/);
    });
  });

  describe("all_pages resumes where it stopped", () => {
    it("stopped at max_items: next continues to the end, every id once", async () => {
      const pages = await follow<ListPage>(served.mcp, "list_students", {
        all_pages: true,
        max_items: 250,
        fields: ["id"],
      });
      expect(pages[0]!.stopped_early).toBe(true);
      expect(pages[0]!.stopped_by).toBe("max_items");
      expect(pages[0]!.data).toHaveLength(250);
      expect(pages[0]!.next).toMatchObject({ all_pages: true, max_items: 250, fields: ["id"], offset: 250 });
      expect(idsOf(pages)).toEqual(students().map((s) => s.id));
      expect(pages.at(-1)!.stopped_early).toBe(false);
    });

    it("stopped by the byte cap mid-page: the resume point is exact", async () => {
      const small = await connectInProcess(served.sandbox, { maxResultBytes: 6_000 });
      try {
        const pages = await follow<ListPage>(small, "list_students", {
          all_pages: true,
          max_items: 5000,
          fields: ["id", "full_name"],
        });
        expect(pages.length).toBeGreaterThan(3);
        expect(pages[0]!.stopped_by).toBe("result_cap");
        expect(pages[0]!.truncated).toBeDefined();
        // Cut inside a platform page of 100, not on its edge.
        expect(pages.some((p) => (p.next?.offset as number) % 100 !== 0)).toBe(true);
        expect(idsOf(pages)).toEqual(students().map((s) => s.id));
      } finally {
        await small.close();
      }
    });

    it("one overall deadline: stops with what it has, partial with next, and resumes to the end", async () => {
      // 300 ms per answer: 13 pages four at a time need at least 1.2 s, past the 1 s deadline.
      const slow = await sandboxWith({ faults: { latencyMs: 300 } });
      const s = await connectInProcess(slow, { pagingDeadlineMs: 1_000 });
      try {
        const pages = await follow<ListPage>(s, "list_students", {
          all_pages: true,
          max_items: 5000,
          fields: ["id"],
        });
        expect(pages[0]!.stopped_early).toBe(true);
        expect(pages[0]!.stopped_by).toBe("deadline");
        expect(pages[0]!.data.length).toBeLessThan(1242);
        expect(idsOf(pages)).toEqual(slow.records(42, "students").map((r) => r.id));
      } finally {
        await s.close();
        await slow.stop();
      }
    });
  });

  describe("filters the platform lacks", () => {
    const listAll = (name: string, args: Args) =>
      follow<ListPage>(served.mcp, name, { ...args, all_pages: true, max_items: 5000, fields: ["id"] });

    const cases: Array<[string, string, Args, () => Array<Record<string, unknown>>]> = [
      ["list_students", "section_id", { section_id: 7 }, () => students().filter((s) => s.section_id === 7)],
      ["list_students", "grade_id", { grade_id: 3 }, () => students().filter((s) => s.grade_id === 3)],
      [
        "list_students",
        "guardian_id",
        { guardian_id: 5 },
        () => students().filter((s) => s.guardian_id === 5),
      ],
      [
        "list_students",
        "gender",
        { gender: "female" },
        () => students().filter((s) => s.gender === "female"),
      ],
      [
        "list_guardians",
        "relation",
        { relation: "mother" },
        () => guardians().filter((g) => g.relation === "mother"),
      ],
      [
        "list_students",
        "two filters",
        { grade_id: 2, gender: "male" },
        () => students().filter((s) => s.grade_id === 2 && s.gender === "male"),
      ],
      ["list_students", "nothing", { guardian_id: 999_999 }, () => []],
    ];
    for (const [tool, label, filter, expected] of cases) {
      it(`${tool} by ${label}: exactly the sandbox's matching ids and total`, async () => {
        served.sandbox.clearRequests();
        const pages = await listAll(tool, filter);
        const want = expected().map((r) => r.id);
        expect(pages[0]!.total).toBe(want.length);
        expect(idsOf(pages)).toEqual(want);
        expect(pages[0]!.scan?.complete).toBe(true);
        for (const r of served.sandbox.requests)
          for (const q of Object.keys(r.query)) expect(CONTRACT_QUERY.has(q), `query ${q}`).toBe(true);
      });
    }

    it("combines with search (sent to the platform) and fields; a filter can match everything", async () => {
      const res = await fetch(`${served.sandbox.baseUrl}/education/students?search=james&per_page=100`, {
        headers: { authorization: `Bearer ${served.sandbox.token}` },
      });
      const searched = ((await res.json()) as { data: Array<Record<string, unknown>> }).data;
      expect(searched.length).toBeGreaterThan(0);
      expect(searched.every((s) => s.gender === "male")).toBe(true);
      served.sandbox.clearRequests();
      const pages = await follow<ListPage>(served.mcp, "list_students", {
        search: "james",
        gender: "male",
        fields: ["id", "gender"],
        per_page: 100,
      });
      expect(pages[0]!.total).toBe(searched.length);
      expect(idsOf(pages)).toEqual(searched.map((s) => s.id));
      for (const row of pages[0]!.data) expect(Object.keys(row).sort()).toEqual(["gender", "id"]);
      expect(served.sandbox.requests.every((r) => r.query.search === "james")).toBe(true);
      for (const r of served.sandbox.requests)
        expect(Object.keys(r.query).sort()).toEqual(["page", "per_page", "search"]);
    });

    it("says what it scanned, and its next pages reuse the scan instead of rescanning", async () => {
      served.sandbox.clearRequests();
      const first = structured<ListPage>(
        await served.mcp.client.callTool({ name: "list_students", arguments: { grade_id: 4, per_page: 20 } }),
      );
      expect(first.scan).toMatchObject({
        records_scanned: 1242,
        pages_scanned: 13,
        complete: true,
        reused: false,
      });
      expect(served.sandbox.requests.filter((r) => r.tool === "list_students")).toHaveLength(13);
      expect(first.data).toHaveLength(20);
      expect(first.next).toMatchObject({ grade_id: 4, per_page: 20, offset: 20 });
      served.sandbox.clearRequests();
      const rest = await follow<ListPage>(served.mcp, "list_students", first.next!);
      expect(served.sandbox.requests).toEqual([]);
      expect(rest.every((p) => p.scan?.reused)).toBe(true);
      expect([...first.data, ...rest.flatMap((p) => p.data)].map((r) => r.id)).toEqual(
        students()
          .filter((s) => s.grade_id === 4)
          .map((s) => s.id),
      );
    });

    it("an expired or unknown cursor rescans and says so, serving the same place", async () => {
      const first = structured<ListPage>(
        await served.mcp.client.callTool({ name: "list_students", arguments: { grade_id: 6, per_page: 30 } }),
      );
      const stale = { ...first.next, cursor: "expired-cursor-id" };
      const result = await served.mcp.client.callTool({ name: "list_students", arguments: stale });
      expect(result.isError, textOf(result)).toBeFalsy();
      const page = structured<ListPage>(result);
      expect(page.scan?.reused).toBe(false);
      expect(textOf(result)).toMatch(/rescanned/i);
      expect(page.data.map((r) => r.id)).toEqual(
        students()
          .filter((s) => s.grade_id === 6)
          .slice(30, 60)
          .map((s) => s.id),
      );
    });

    it("a grant change forgets the kept scans: the next page rescans under the new grant", async () => {
      const own = await connectInProcess(served.sandbox);
      try {
        const first = structured<ListPage>(
          await own.client.callTool({ name: "list_students", arguments: { grade_id: 5, per_page: 10 } }),
        );
        served.sandbox.setScopes(served.sandbox.token, ["education.students.read", "education.grades.read"]);
        await own.installation.refreshWhoami();
        const second = structured<ListPage>(
          await own.client.callTool({ name: "list_students", arguments: first.next! }),
        );
        expect(second.scan?.reused).toBe(false);
        expect(second.offset).toBe(10);
      } finally {
        served.sandbox.setScopes(served.sandbox.token, undefined);
        await own.installation.refreshWhoami();
        await own.close();
      }
    });

    it("count_only answers how many without rows", async () => {
      const result = await served.mcp.client.callTool({
        name: "list_guardians",
        arguments: { relation: "father", count_only: true },
      });
      const answer = structured<ListPage>(result);
      expect(answer.total).toBe(guardians().filter((g) => g.relation === "father").length);
      expect(answer.data).toEqual([]);
      expect(answer.next).toBeUndefined();
      expect(textOf(result)).toContain(String(answer.total));
    });

    it("a filtered all_pages cut by the byte cap resumes exactly", async () => {
      const small = await connectInProcess(served.sandbox, { maxResultBytes: 5_000 });
      try {
        const pages = await follow<ListPage>(small, "list_students", {
          gender: "female",
          all_pages: true,
          fields: ["id", "full_name"],
        });
        expect(pages.length).toBeGreaterThan(3);
        expect(pages[0]!.stopped_by).toBe("result_cap");
        expect(pages.slice(1).every((p) => p.scan?.reused)).toBe(true);
        expect(idsOf(pages)).toEqual(
          students()
            .filter((s) => s.gender === "female")
            .map((s) => s.id),
        );
      } finally {
        await small.close();
      }
    });

    it("a scan the deadline stops keeps its place: next continues it, to the true total", async () => {
      // 300 ms per answer: the 13 pages of a scan need at least 1.2 s, past the 1 s deadline.
      const slow = await sandboxWith({ faults: { latencyMs: 300 } });
      const s = await connectInProcess(slow, { pagingDeadlineMs: 1_000 });
      try {
        const want = slow
          .records<StoredRecord & Record<string, unknown>>(42, "students")
          .filter((r) => r.grade_id === 3);
        const counts = await follow<ListPage>(s, "list_students", { grade_id: 3, count_only: true });
        expect(counts[0]!.scan?.complete).toBe(false);
        expect(counts[0]!.stopped_by).toBe("deadline");
        expect(counts.at(-1)!.scan).toMatchObject({ complete: true, records_scanned: 1242 });
        expect(counts.at(-1)!.total).toBe(want.length);
        // Pages of matches while the scan runs: short pages, but every match once.
        const pages = await follow<ListPage>(s, "list_students", {
          grade_id: 3,
          per_page: 50,
          fields: ["id"],
        });
        expect(pages[0]!.scan?.complete).toBe(false);
        expect(idsOf(pages)).toEqual(want.map((r) => r.id));
      } finally {
        await s.close();
        await slow.stop();
      }
    });

    it("the sandbox does not accept the filters: they exist only in this server", async () => {
      const res = await fetch(`${served.sandbox.baseUrl}/education/students?grade_id=3`, {
        headers: { authorization: `Bearer ${served.sandbox.token}` },
      });
      expect(res.status).toBe(422);
    });
  });

  it("a cap too small for one record still shows one per answer, so next always ends", async () => {
    const tiny = await connectInProcess(served.sandbox, { maxResultBytes: 50 });
    try {
      const pages = await follow<ListPage>(tiny, "list_students", { guardian_id: 5, all_pages: true });
      const want = students().filter((s) => s.guardian_id === 5);
      expect(pages).toHaveLength(want.length);
      expect(idsOf(pages)).toEqual(want.map((s) => s.id));
      const rows = await follow<ReportPage>(tiny, "run_report", { key: "enrolment_by_grade" });
      expect(rows.map((p) => p.data.rows.length)).toEqual(rows.map(() => 1));
      expect(rows).toHaveLength(rows[0]!.total_rows);
    } finally {
      await tiny.close();
    }
  });

  describe("next is the exact arguments", () => {
    it("a plain page's next keeps fields", async () => {
      const first = structured<ListPage>(
        await served.mcp.client.callTool({
          name: "list_guardians",
          arguments: { per_page: 5, fields: ["id"] },
        }),
      );
      expect(first.next).toEqual({ per_page: 5, fields: ["id"], page: 2 });
    });

    it("offset and page together, or a cursor without a filter, are refused before any request", async () => {
      served.sandbox.clearRequests();
      const both = await served.mcp.client.callTool({
        name: "list_students",
        arguments: { all_pages: true, offset: 10, page: 2 },
      });
      expect(both.isError).toBe(true);
      expect(textOf(both)).toMatch(/offset/);
      const bare = await served.mcp.client.callTool({ name: "list_students", arguments: { cursor: "x" } });
      expect(bare.isError).toBe(true);
      expect(textOf(bare)).toMatch(/cursor/);
      expect(served.sandbox.requests).toEqual([]);
    });

    it("a plain page cut by the result cap resumes at the first record not shown", async () => {
      const small = await connectInProcess(served.sandbox, { maxResultBytes: 5_000 });
      try {
        const pages = await follow<ListPage>(small, "list_guardians", { per_page: 50 }, 400);
        const all = served.sandbox.records<StoredRecord>(42, "guardians").map((g) => g.id);
        expect(pages.some((p) => p.truncated !== undefined)).toBe(true);
        expect(idsOf(pages)).toEqual(all);
        // A cut page continues by offset with the same page size.
        const cut = pages.find((p) => p.truncated)!;
        expect(cut.next).toMatchObject({ per_page: 50 });
        expect(cut.next?.offset).toBeGreaterThan(0);
        expect(cut.next?.page).toBeUndefined();
      } finally {
        await small.close();
      }
    });
  });
});
