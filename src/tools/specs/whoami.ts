/**
 * whoami answers from a fresh read of the installation's grant (which also re-filters the tools
 * when the scopes changed) and says whether this is the sandbox.
 */
import { z } from "zod";
import { sanitize } from "../../text/clean.js";
import { toolResult } from "../results.js";
import { inputSchemaOf, outputSchemaOf } from "../schemas.js";
import type { ToolSpec } from "./spec.js";

export const whoamiSpec: ToolSpec = {
  input: inputSchemaOf,
  output: (endpoint) => outputSchemaOf(endpoint).extend({ sandbox: z.boolean().optional() }),
  async run(_endpoint, _args, ctx) {
    const who = await ctx.installation.refreshWhoami();
    ctx.attempts = 1;
    const data = sanitize({ ...who, ...(ctx.installation.sandbox ? { sandbox: true } : {}) }) as Record<
      string,
      unknown
    >;
    const note = ctx.installation.sandbox
      ? "SANDBOX: demo data of a fictional school, not a real tenant."
      : `Tenant ${who.tenant_id}, ${who.scopes.length} scopes granted.`;
    return toolResult(data, note);
  },
};
