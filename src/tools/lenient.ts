/**
 * Arguments as a model meant them, before the strict check (pure). Models and their clients often
 * stringify numbers ("22" for 22, "true" for true) or send an all-digits id as a JSON number; the
 * meaning is not in doubt, so refusing would only cost a turn. Only these exact spellings convert;
 * anything else is left as given and the strict schema refuses it by name.
 *
 * This lives in the tool layer only: the sandbox is the platform and stays strict (a string id in
 * a JSON body is its 422), and the JSON Schema models see keeps the plain types.
 */
import type { z } from "zod";
import { baseKindOf } from "../platform/schema-kind.js";

/**
 * Text fields whose values are often all digits, so a model may send a JSON number. Not `phone`
 * or `to`: E.164 starts with "+", which a number cannot carry, and guessing the "+" for a message
 * that reaches a real person is not ours to do. A number never has leading zeros (JSON forbids
 * them), so the digits converted are exactly the number's; an id with a leading zero must be sent
 * as a string.
 */
export const DIGIT_TEXT_FIELDS: ReadonlySet<string> = new Set(["national_id", "code", "search"]);

/**
 * An integer written in digits, as a JSON encoder writes one: no spaces (" 12 " is refused, as the
 * platform refuses it in a URL), no "+", no decimals or exponents. A minus sign is read so that
 * "-1" is refused by the field's bound, with the bound named.
 */
const INTEGER_TEXT = /^-?\d+$/;

function readValue(schema: z.core.$ZodType, name: string, value: unknown): unknown {
  switch (baseKindOf(schema)) {
    case "number": {
      if (typeof value !== "string" || !INTEGER_TEXT.test(value)) return value;
      const n = Number(value);
      // Beyond 2^53 the digits would not survive: leave it a string, refused as not a number.
      return Number.isSafeInteger(n) ? n : value;
    }
    case "boolean":
      return value === "true" ? true : value === "false" ? false : value;
    case "string": {
      const exact = typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
      return exact && DIGIT_TEXT_FIELDS.has(name) ? String(value) : value;
    }
    default:
      return value;
  }
}

/** A copy of `raw` with the top-level arguments of `schema` read leniently; unknown keys untouched. */
export function readLeniently(schema: z.ZodObject, raw: unknown): unknown {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return raw;
  const shape = schema.shape as Record<string, z.core.$ZodType>;
  const out: Record<string, unknown> = { ...raw };
  for (const [name, value] of Object.entries(raw)) {
    if (Object.hasOwn(shape, name)) out[name] = readValue(shape[name] as z.core.$ZodType, name, value);
  }
  return out;
}
