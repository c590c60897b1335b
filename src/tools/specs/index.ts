/** Each tool's spec: its own where it has one, else the generic spec of what its endpoint does. */
import { VIEWS } from "../../apps/views.js";
import { type Endpoint, endpointOf, type ToolName } from "../../platform/catalog.js";
import { genericSpecOf } from "./generic.js";
import { runReportSpec } from "./run-report.js";
import type { ToolSpec } from "./spec.js";
import { whoamiSpec } from "./whoami.js";

const OWN_SPECS: { readonly [T in ToolName]?: ToolSpec } = {
  whoami: whoamiSpec,
  run_report: runReportSpec,
  // A plain read, shown as a student card by hosts that render views.
  get_student: { ...genericSpecOf(endpointOf("get_student")), view: VIEWS.student },
};

export function specOf(endpoint: Endpoint): ToolSpec {
  return OWN_SPECS[endpoint.tool] ?? genericSpecOf(endpoint);
}
