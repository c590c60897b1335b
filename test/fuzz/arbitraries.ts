/**
 * Adversarial values for fuzzing tools and endpoints: wrong types, huge strings, unicode, prototype
 * keys, path characters, nested junk; and well-typed values so the accepting path is fuzzed too.
 */
import fc from "fast-check";

/**
 * One seed for every property: fixed by default so `npm test` is repeatable; set FUZZ_SEED to
 * explore further (FUZZ_SEED=$RANDOM npx vitest run test/fuzz). A failure prints its seed.
 */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_261_129);
fc.configureGlobal({ seed: FUZZ_SEED });

/** Strings that try to escape a path segment or a query. */
export const PATH_TRICKS = [
  "../whoami",
  "1/../2",
  "1/2",
  "%2e%2e%2f",
  "1%2F2",
  "1?per_page=1",
  "1#frag",
  "..",
  ".",
  "",
  " 1",
  "1 ",
  "1\u0000",
  "\r\nX-Injected: 1",
  "１",
  "0x10",
  "1e3",
  "-1",
  "0",
  "9007199254740993",
  "enrolment_by_grade/../../whoami",
  "ENROLMENT_BY_GRADE",
  "__proto__",
  "constructor",
] as const;

/**
 * Near misses of the spellings the tool layer converts ("22" -> 22, "true" -> true): each must be
 * converted exactly when the documented rule says so, and refused otherwise.
 */
export const NUMERIC_LOOKALIKES = [
  "22",
  "007",
  "1.5",
  "+5",
  " 12 ",
  "12abc",
  "-0",
  "1_000",
  "true",
  "false",
  "TRUE",
  "yes",
  "null",
] as const;

export const hugeString = fc
  .tuple(fc.constantFrom("a", "é", "😀", "\u0000", "<", "%"), fc.integer({ min: 1_000, max: 120_000 }))
  .map(([c, n]) => c.repeat(n));

const scalarJunk = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(...PATH_TRICKS),
  fc.constantFrom(...NUMERIC_LOOKALIKES),
  fc.integer(),
  fc.integer({ min: -5, max: 5 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, 1.5, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, -0),
  fc.boolean(),
  fc.constant(null),
);

/** An object with an own `__proto__` key (as JSON.parse makes it), which naive merges turn into pollution. */
export const protoObject = fc
  .record({ polluted: fc.constant(true), isAdmin: fc.boolean() })
  .map((inner) =>
    JSON.parse(`{"__proto__": ${JSON.stringify(inner)}, "constructor": {"prototype": {"x": 1}}}`),
  );

export const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: scalarJunk },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: protoObject },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(scalarJunk, { maxLength: 5 }) },
);

/** Keys that mean something to JavaScript or to a URL. */
export const junkKey = fc.oneof(
  fc.constantFrom(
    "__proto__",
    "constructor",
    "prototype",
    "toString",
    "hasOwnProperty",
    "id/..",
    "a b",
    "",
    "😀",
  ),
  fc.string({ maxLength: 12 }),
);

/** Plain JSON Schema as the server shows it: enough to make values of the right type. */
interface JsonSchemaNode {
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  items?: JsonSchemaNode;
  properties?: Record<string, JsonSchemaNode>;
  anyOf?: JsonSchemaNode[];
  maximum?: number;
  minimum?: number;
}

/** A value of roughly the right type for a property (often valid, sometimes just off). */
export function wellTyped(node: JsonSchemaNode | undefined, name: string): fc.Arbitrary<unknown> {
  if (!node) return fc.constant("x");
  if (node.enum) return fc.constantFrom(...node.enum);
  if (node.anyOf?.length) return fc.oneof(...node.anyOf.map((n) => wellTyped(n, name)));
  const type = Array.isArray(node.type) ? node.type[0] : node.type;
  switch (type) {
    case "integer":
    case "number": {
      const n = fc.integer({ min: node.minimum ?? -2, max: Math.min(node.maximum ?? 60, 60) });
      // Sometimes as the string a model's client makes of it: read as the number.
      return fc.oneof({ weight: 3, arbitrary: n }, { weight: 1, arbitrary: n.map(String) });
    }
    case "boolean":
      return fc.oneof(fc.boolean(), fc.constantFrom("true", "false"));
    case "array":
      return fc.array(wellTyped(node.items, name), { minLength: 0, maxLength: 3 });
    case "object":
      return fc.dictionary(
        fc.constantFrom("grade_id", "academic_year_id", "from", "x"),
        fc.oneof(fc.integer({ min: 1, max: 9 }), fc.string({ maxLength: 8 })),
        { maxKeys: 2 },
      );
    default:
      if (node.format === "email" || name === "email")
        return fc.constantFrom("a@example.com", "not-an-email", "x@y");
      if (node.format === "date" || name.endsWith("_date"))
        return fc.constantFrom("2015-03-02", "2015-13-40", "yesterday");
      if (name === "phone" || name === "to") return fc.constantFrom("+966501234567", "0501234567", "+1");
      if (name === "key") return fc.constantFrom("enrolment_by_grade", "attendance_summary", "nope", "../x");
      if (name === "idempotency_key")
        return fc.constantFrom("abcdefgh-1234", "short", "has space in it", "../../etc/passwd");
      if (name === "fields") return fc.constantFrom("id", "full_name", "name", "nme", "Bad-Field");
      // Digits-only text a model may send as a number (also negative or fractional: refused).
      if (name === "national_id" || name === "code" || name === "search")
        return fc.oneof(
          fc.string({ minLength: 1, maxLength: 20 }),
          fc.integer({ min: -5, max: 2 ** 40 }),
          fc.constantFrom(0.5, 2 ** 60),
        );
      return fc.oneof(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.constantFrom("Grade 5", "Mariam", "ROB-101"),
      );
  }
}
