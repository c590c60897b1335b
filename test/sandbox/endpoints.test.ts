/**
 * Every endpoint of the catalog, table-driven: a valid call answers the contract's status and
 * shape, no token is 401, a token without the scope is 403 naming it, and the rate-limit headers
 * are always there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOG, type Endpoint, fillPath, type ToolName } from "../../src/platform/catalog.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { api, isErrorEnvelope, type Json } from "./helpers.js";

interface Sample {
  params?: Record<string, unknown>;
  query?: Record<string, string>;
  body?: Record<string, unknown>;
}

/** One valid request per tool; a missing tool is a type error. Ids exist in the demo school. */
const SAMPLES: Record<ToolName, Sample> = {
  whoami: {},
  list_students: { query: { per_page: "5" } },
  get_student: { params: { id: 1 } },
  // Section 1 is 1-A, the first section of grade 1.
  create_student: {
    body: {
      full_name: "Mariam Test",
      national_id: "1099999999",
      birth_date: "2019-10-02",
      gender: "female",
      grade_id: 1,
      section_id: 1,
      guardian_id: 1,
    },
  },
  update_student: { params: { id: 2 }, body: { national_id: "1098765432" } },
  list_guardians: { query: { search: "a", per_page: "3" } },
  get_guardian: { params: { id: 1 } },
  create_guardian: {
    body: {
      full_name: "Khalid Test",
      phone: "+966501234567",
      email: "k.test@example.com",
      relation: "father",
    },
  },
  update_guardian: { params: { id: 1 }, body: { email: "parent.one@example.com" } },
  list_subjects: {},
  create_subject: { body: { name: "Robotics", code: "ROB-101" } },
  list_grades: { query: { per_page: "100" } },
  list_sections: { query: { grade_id: "1" } },
  list_academic_years: {},
  list_terms: { query: { academic_year_id: "1" } },
  list_employees: { query: { per_page: "5" } },
  get_employee: { params: { id: 1 } },
  add_employee: {
    body: { full_name: "Sara Test", job_title: "Science Teacher", email: "sara.test@example.com" },
  },
  list_reports: {},
  run_report: { params: { key: "enrolment_by_grade" }, body: { params: {} } },
  get_notification_capabilities: {},
  send_notification: { body: { to: "+966501234567", message: "School closes early tomorrow." } },
};

const FULL = "sbx_full_access_token_0001";
const NONE = "sbx_no_scopes_token_00001";

describe("every endpoint of the catalog", () => {
  let sandbox: Sandbox;
  let call: ReturnType<typeof api>;

  beforeAll(async () => {
    sandbox = await startSandbox({
      installations: [
        {
          token: FULL,
          scopes: [...new Set(CATALOG.flatMap((e) => (e.scope ? [e.scope] : [])))],
          tenantId: 42,
        },
        { token: NONE, scopes: [], tenantId: 42 },
      ],
    });
    call = api(sandbox);
  });
  afterAll(() => sandbox.stop());

  const send = (endpoint: Endpoint, token: string | null) => {
    const sample = SAMPLES[endpoint.tool as ToolName]!;
    return call(fillPath(endpoint.path, sample.params ?? {}), {
      method: endpoint.method,
      query: sample.query,
      json: sample.body,
      token,
    });
  };

  it("has a sample for each of the 22 endpoints", () => {
    expect(CATALOG).toHaveLength(22);
    expect(Object.keys(SAMPLES).sort()).toEqual(CATALOG.map((e) => e.tool).sort());
  });

  describe.each(CATALOG.map((e) => [e.tool, e] as const))("%s", (_tool, endpoint: Endpoint) => {
    it(`answers ${endpoint.status} with the contract's shape`, async () => {
      const response = await send(endpoint, FULL);
      expect(response.status, JSON.stringify(response.body)).toBe(endpoint.status);
      expect(response.headers.get("x-ratelimit-limit")).toMatch(/^\d+$/);
      expect(response.headers.get("x-ratelimit-remaining")).toMatch(/^\d+$/);
      const body: Json = response.body;
      const records: unknown[] =
        endpoint.response === "bare" ? [body] : Array.isArray(body.data) ? body.data : [body.data];
      if (endpoint.response === "list") {
        expect(Object.keys(body).sort()).toEqual(["current_page", "data", "last_page", "per_page", "total"]);
        expect(body.last_page).toBeGreaterThanOrEqual(1);
        expect(records.length).toBeGreaterThan(0);
      }
      for (const record of records) {
        const parsed = endpoint.record.safeParse(record);
        expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      }
    });

    it("answers 401 unauthenticated without a token", async () => {
      const response = await send(endpoint, null);
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ error: "unauthenticated" });
      expect(response.headers.get("x-ratelimit-limit")).toBeTruthy();
    });

    it(endpoint.scope ? `answers 403 naming ${endpoint.scope} without it` : "needs no scope", async () => {
      const response = await send(endpoint, NONE);
      if (endpoint.scope) {
        expect(response.status).toBe(403);
        expect(response.body).toEqual({
          message: expect.any(String),
          error: "scope_not_granted",
          scope: endpoint.scope,
        });
      } else {
        expect(response.status).toBe(endpoint.status);
      }
      expect(isErrorEnvelope(response.body) || !endpoint.scope).toBe(true);
    });
  });

  it("whoami reports the token's tenant, module and scopes", async () => {
    const none = await call("/whoami", { token: NONE });
    expect(none.body).toEqual({ tenant_id: 42, module: "okta-partners-sandbox", scopes: [] });
  });
});
