/**
 * Paging: every student (1,242 in the demo school) through ours over stdio, with one
 * `all_pages` call against following `next` page by page, and the same pages fetched directly.
 * The result cap is raised for this run only: at the default 60 kB one all_pages result would be
 * cut (with a `truncated` marker), and the point here is the time to fetch everything.
 */
import { OktaClient } from "../../src/client/client.js";
import { CLI, connectStdioServer, type SandboxProcess } from "./procs.js";
import { type Spread, spread } from "./stats.js";

export interface PagingResult {
  students: number;
  perPage: number;
  pages: number;
  allPagesMs: Spread;
  pageByPageMs: Spread;
  directMs: Spread;
  allPagesResultBytes: number;
}

export async function paging(sandbox: SandboxProcess, rounds: number): Promise<PagingResult> {
  const perPage = 100;
  const env = { OKTA_PARTNER_TOKEN: sandbox.token, OKTA_API_BASE_URL: sandbox.baseUrl };
  const ours = await connectStdioServer([CLI, "--max-result-bytes", "10000000"], env);
  const direct = new OktaClient({ baseUrl: sandbox.baseUrl, token: sandbox.token });
  const all: number[] = [];
  const byPage: number[] = [];
  const straight: number[] = [];
  let students = 0;
  let pages = 0;
  let bytes = 0;
  try {
    for (let round = -1; round < rounds; round++) {
      // Round -1 warms up and checks the counts.
      let t0 = performance.now();
      const result = await ours.client.callTool({
        name: "list_students",
        arguments: { all_pages: true, per_page: perPage, max_items: 5_000 },
      });
      const allMs = performance.now() - t0;
      const structured = result.structuredContent as { data: unknown[]; truncated?: unknown };
      if (result.isError || structured.truncated) throw new Error(`all_pages did not return everything`);
      students = structured.data.length;
      bytes = JSON.stringify(result).length;

      t0 = performance.now();
      let next: Record<string, unknown> | undefined = { per_page: perPage };
      let count = 0;
      pages = 0;
      while (next) {
        const page = await ours.client.callTool({ name: "list_students", arguments: next });
        const s = page.structuredContent as { data: unknown[]; next?: Record<string, unknown> };
        count += s.data.length;
        pages++;
        next = s.next;
      }
      const pageMs = performance.now() - t0;
      if (count !== students) throw new Error(`page by page saw ${count} students, all_pages ${students}`);

      t0 = performance.now();
      for (let p = 1; p <= pages; p++) {
        await direct.request({
          method: "GET",
          path: "/education/students",
          query: { per_page: perPage, page: p },
        });
      }
      const directMs = performance.now() - t0;
      if (round >= 0) {
        all.push(allMs);
        byPage.push(pageMs);
        straight.push(directMs);
      }
    }
  } finally {
    await ours.close();
    await direct.close();
  }
  return {
    students,
    perPage,
    pages,
    allPagesMs: spread(all),
    pageByPageMs: spread(byPage),
    directMs: spread(straight),
    allPagesResultBytes: bytes,
  };
}
