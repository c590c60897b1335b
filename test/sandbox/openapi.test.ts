/** The OpenAPI document is generated from the catalog, served without auth. */
import { describe, expect, it } from "vitest";
import { CATALOG, TOOL_NAMES } from "../../src/platform/catalog.js";
import { type Json, useSandbox } from "./helpers.js";

const METHODS = ["get", "post", "patch", "put", "delete"];

describe("GET /docs/openapi.json", () => {
  const start = useSandbox();

  it("is OpenAPI 3.1 with the 22 operations of the catalog, operationId = tool name", async () => {
    const { sandbox } = await start();
    const response = await fetch(`${sandbox.url}/docs/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-ratelimit-limit")).toBeTruthy();
    const doc: Json = await response.json();
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.servers).toEqual([{ url: sandbox.baseUrl }]);
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item as Json)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, op]) => ({ path, method, op: op as Json })),
    );
    expect(operations).toHaveLength(22);
    expect(operations.map((o) => o.op.operationId).sort()).toEqual([...TOOL_NAMES].sort());

    for (const endpoint of CATALOG) {
      const found = operations.find((o) => o.op.operationId === endpoint.tool)!;
      expect(found.path).toBe(endpoint.path);
      expect(found.method).toBe(endpoint.method.toLowerCase());
      expect(found.op["x-required-scope"]).toBe(endpoint.scope);
      expect(found.op.security).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(found.op.responses)).toContain(String(endpoint.status));
      expect(found.op.responses["401"]).toEqual({ $ref: "#/components/responses/Unauthenticated" });
      if (endpoint.scope) expect(found.op.responses["403"]).toBeDefined();
      if ("body" in endpoint) {
        const schema = found.op.requestBody.content["application/json"].schema;
        expect(schema.type).toBe("object");
        expect(schema.$schema).toBeUndefined();
        expect(found.op.responses["422"]).toBeDefined();
      }
      if (endpoint.response === "list") {
        const names = found.op.parameters.map((p: Json) => p.name);
        expect(names).toEqual(expect.arrayContaining(["page", "per_page", "search"]));
        const success = found.op.responses["200"].content["application/json"].schema;
        expect(success.required).toEqual(["data", "total", "per_page", "current_page", "last_page"]);
      }
    }
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("describes the create_student body from its Zod schema", async () => {
    const { sandbox } = await start();
    const doc: Json = sandbox.openapi();
    const body = doc.paths["/education/students"].post.requestBody.content["application/json"].schema;
    expect(body.required).toEqual(["full_name"]);
    expect(body.additionalProperties).toBe(false);
    expect(body.properties.gender.enum).toEqual(["male", "female"]);
    expect(body.properties.grade_id.type).toBe("integer");
  });
});
