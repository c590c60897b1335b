/**
 * `npm run context-cost`: what this server costs a model's context (tools/list and typical result
 * sizes), as a table on stdout. The same figures are part of `npm run bench`.
 */
import { contextCost, contextCostTable } from "./lib/context.js";

const cost = await contextCost();
process.stdout.write(`${contextCostTable(cost)}\n`);
if (process.argv.includes("--json")) process.stdout.write(`${JSON.stringify(cost, null, 2)}\n`);
