/**
 * What a field's schema holds under its wrappers, for the two places that read loosely typed
 * input against the catalog: the sandbox (path and query values arrive as strings) and the tool
 * layer (models send "22" for 22).
 */
import type { z } from "zod";

export type BaseKind = "number" | "string" | "boolean" | "other";

/** The base type under optional / nullable / default / nonoptional wrappers and a pipe's input. */
export function baseKindOf(schema: z.core.$ZodType): BaseKind {
  const def = schema._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
  if (def.type === "number" || def.type === "string" || def.type === "boolean") return def.type;
  if (def.innerType) return baseKindOf(def.innerType);
  if (def.type === "pipe" && def.in) return baseKindOf(def.in);
  return "other";
}
