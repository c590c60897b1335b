/**
 * The uniform tools: schemas from the catalog entry alone, and a handler by what the endpoint
 * does (a list, a read, a write). A new uniform endpoint needs only its catalog entry.
 */
import type { Endpoint } from "../../platform/catalog.js";
import { read, write } from "../handlers.js";
import { runList } from "../lists.js";
import { inputSchemaOf, outputSchemaOf } from "../schemas.js";
import type { ToolSpec } from "./spec.js";

const uniform = { input: inputSchemaOf, output: outputSchemaOf } as const;

const listSpec: ToolSpec = { ...uniform, run: runList };
const readSpec: ToolSpec = { ...uniform, run: read };
const writeSpec: ToolSpec = { ...uniform, run: write };

export function genericSpecOf(endpoint: Endpoint): ToolSpec {
  if (endpoint.response === "list") return listSpec;
  return endpoint.method === "GET" ? readSpec : writeSpec;
}
