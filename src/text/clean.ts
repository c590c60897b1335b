/**
 * Platform text (names, messages, report cells, error messages) is untrusted: it reaches a model
 * through tool results, resources, prompts, completions and confirmations. Characters a human
 * never sees but a model reads are a vector for hidden instructions ("ASCII smuggling" with
 * Unicode tag characters, zero-width runs, bidi overrides that reorder what is shown). They are
 * removed here, in one pure function every path uses; tools and resources both import it.
 *
 * Removed:
 * - C0/C1 controls, but tab, newline and carriage return;
 * - every format character (Unicode category Cf): zero-width space / non-joiner / joiner, bidi
 *   marks, embeddings, overrides and isolates, word joiner and invisible operators
 *   (U+2060-U+2064), the BOM (U+FEFF), soft hyphen, interlinear annotation marks, and the tag
 *   characters U+E0001, U+E0020-U+E007F (with the unassigned rest of U+E0000-U+E007F);
 * - variation selectors U+FE00-U+FE0F and U+E0100-U+E01EF.
 *
 * Kept, so emoji look as written: U+FE0F right after an emoji ("❤️"), and U+200D (zero-width
 * joiner) between two emoji of a ZWJ sequence ("👩‍💻", "🏳️‍🌈"), the skin tone or U+FE0F of the
 * first allowed in between. A joiner anywhere else is removed. Tag sequences of subdivision flags
 * (🏴 + tags, England, Scotland, Wales) lose their tags and show as 🏴: tags are the smuggling
 * channel itself, and one flag is a small price.
 */

const INVISIBLE = new RegExp(
  [
    "[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]",
    // Format characters but the joiner (handled below), tag characters, variation selectors but FE0F.
    "(?!\\u200D)[\\p{Cf}\\u{E0000}-\\u{E007F}\\uFE00-\\uFE0E\\u{E0100}-\\u{E01EF}]",
    // FE0F (emoji presentation) only right after an emoji.
    "(?<!\\p{Emoji})\\uFE0F",
    // The joiner only between two emoji (a skin tone or FE0F of the first may come between).
    "(?<!\\p{Extended_Pictographic}[\\uFE0F\\u{1F3FB}-\\u{1F3FF}]?)\\u200D",
    "\\u200D(?!\\p{Extended_Pictographic})",
  ].join("|"),
  "gu",
);

/** Printable ASCII with tab, newline and carriage return: nothing in it is ever removed. */
const PLAIN = /^[\t\n\r\x20-\x7e]*$/;

/** The string without invisible characters (see above). */
export function cleanText(value: string): string {
  // Most platform text is plain ASCII: a simple scan settles it before the Unicode expression runs.
  return PLAIN.test(value) ? value : value.replace(INVISIBLE, "");
}

/** Deep copy of API data with every string cleaned; keys that could pollute prototypes dropped. */
export function sanitize(value: unknown): unknown {
  if (typeof value === "string") return cleanText(value);
  if (Array.isArray(value)) return value.map(sanitize);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === "__proto__" || k === "constructor" || k === "prototype") continue;
      out[cleanText(k)] = sanitize(v);
    }
    return out;
  }
  return value;
}
