/**
 * The OpenAPI 3.1 document, generated from the catalog: one operation per entry (operationId =
 * tool name), request schemas from the entry's own Zod schemas, the response envelope from its
 * response shape, and the error responses the contract defines.
 */
import { z } from "zod";
import { CATALOG, type Endpoint, toolsetOf } from "../platform/catalog.js";
import { SCOPES } from "../platform/scopes.js";

type Json = Record<string, unknown>;

export interface OpenApiOptions {
  /** The base URL operations are relative to, e.g. http://127.0.0.1:4010/api/apps. */
  serverUrl?: string;
  version?: string;
}

const BASE_PATH = "/api/apps";

/** JSON Schema of a Zod schema, without the `$schema` line that OpenAPI does not want inline. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });

const ERROR_RESPONSES: Record<string, { name: string; description: string }> = {
  "400": { name: "BadRequest", description: "Malformed or missing request body." },
  "401": { name: "Unauthenticated", description: "Missing or invalid token." },
  "403": { name: "ScopeNotGranted", description: "Valid token, but the required scope is not granted." },
  "404": { name: "NotFound", description: "Resource not found within the tenant scope." },
  "409": {
    name: "IdempotencyConflict",
    description: "Idempotency key reused for another request or still in flight.",
  },
  "413": { name: "PayloadTooLarge", description: "Request body over 1 MiB." },
  "422": { name: "ValidationFailed", description: "Field validation failed; `errors` names each field." },
  "429": { name: "RateLimited", description: "Rate limit exceeded; see Retry-After." },
  "503": { name: "ServerError", description: "Transient error: retry with backoff." },
};

const RATE_HEADERS = {
  "X-RateLimit-Limit": { description: "Ceiling for the window.", schema: { type: "integer" } },
  "X-RateLimit-Remaining": { description: "Remaining in the current window.", schema: { type: "integer" } },
};

function successSchema(endpoint: Endpoint): Json {
  const record = jsonSchema(endpoint.record, "output");
  switch (endpoint.response) {
    case "bare":
      return record;
    case "record":
      return { type: "object", required: ["data"], properties: { data: record } };
    case "collection":
      return { type: "object", required: ["data"], properties: { data: { type: "array", items: record } } };
    case "list":
      return {
        type: "object",
        required: ["data", "total", "per_page", "current_page", "last_page"],
        properties: {
          data: { type: "array", items: record },
          total: { type: "integer" },
          per_page: { type: "integer" },
          current_page: { type: "integer" },
          last_page: { type: "integer", minimum: 1 },
        },
      };
  }
}

function parameters(endpoint: Endpoint): Json[] {
  const out: Json[] = [];
  for (const [location, schema] of [
    ["path", endpoint.pathParams],
    ["query", endpoint.query],
  ] as const) {
    if (!schema) continue;
    const object = jsonSchema(schema, "input") as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, property] of Object.entries(object.properties ?? {})) {
      const { description, ...propertySchema } = property;
      out.push({
        name,
        in: location,
        required: location === "path" || (object.required ?? []).includes(name),
        ...(description ? { description } : {}),
        schema: propertySchema,
      });
    }
  }
  return out;
}

function errorStatuses(endpoint: Endpoint): string[] {
  const statuses = ["401"];
  if (endpoint.scope) statuses.push("403");
  if (endpoint.pathParams) statuses.push("404");
  if (endpoint.body) statuses.push("400", "409", "413");
  if (endpoint.pathParams || endpoint.query || endpoint.body) statuses.push("422");
  statuses.push("429", "503");
  return statuses.sort();
}

function operation(endpoint: Endpoint): Json {
  const responses: Json = {
    [String(endpoint.status)]: {
      description: endpoint.title,
      headers: RATE_HEADERS,
      content: { "application/json": { schema: successSchema(endpoint) } },
    },
  };
  for (const status of errorStatuses(endpoint))
    responses[status] = responseRef(ERROR_RESPONSES[status]!.name);
  const isPostOrPatch = endpoint.method !== "GET";
  return {
    operationId: endpoint.tool,
    summary: endpoint.title,
    description: endpoint.description,
    tags: [toolsetOf(endpoint)],
    security: [{ bearerAuth: [] }],
    "x-required-scope": endpoint.scope,
    parameters: [
      ...parameters(endpoint),
      ...(isPostOrPatch ? [{ $ref: "#/components/parameters/IdempotencyKey" }] : []),
    ],
    ...(endpoint.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: jsonSchema(endpoint.body, "input") } },
          },
        }
      : {}),
    responses,
  };
}

export function buildOpenApiDocument(options: OpenApiOptions = {}): Json {
  const paths: Record<string, Json> = {};
  for (const endpoint of CATALOG) {
    const item = paths[endpoint.path] ?? {};
    item[endpoint.method.toLowerCase()] = operation(endpoint);
    paths[endpoint.path] = item;
  }
  const errorResponses = Object.fromEntries(
    Object.entries(ERROR_RESPONSES).map(([status, { name, description }]) => [
      name,
      {
        description,
        headers:
          status === "429"
            ? { ...RATE_HEADERS, "Retry-After": { schema: { type: "integer" } } }
            : RATE_HEADERS,
        content: { "application/json": { schema: ref(status === "422" ? "ValidationError" : "Error") } },
      },
    ]),
  );
  return {
    openapi: "3.1.0",
    info: {
      title: "Okta Partners runtime API (sandbox)",
      version: options.version ?? "1.0.0",
      description:
        "The school-platform runtime API (students, guardians, grades, employees, reports, notifications), " +
        "generated from the catalog this project codes against. Scopes: " +
        Object.keys(SCOPES).join(", "),
    },
    servers: [{ url: options.serverUrl ?? BASE_PATH }],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "Per-installation token" },
      },
      parameters: {
        IdempotencyKey: {
          name: "Idempotency-Key",
          in: "header",
          required: false,
          description:
            "Replays the stored response to a repeat within 24 hours; 409 if reused for another request.",
          schema: { type: "string", minLength: 1, maxLength: 255 },
        },
      },
      schemas: {
        Error: {
          type: "object",
          required: ["message", "error"],
          properties: { message: { type: "string" }, error: { type: "string" }, scope: { type: "string" } },
        },
        ValidationError: {
          type: "object",
          required: ["message", "error", "errors"],
          properties: {
            message: { type: "string" },
            error: { const: "validation_failed" },
            errors: { type: "object", additionalProperties: { type: "array", items: { type: "string" } } },
          },
        },
      },
      responses: errorResponses,
    },
  };
}
