/**
 * JSON parsing for untrusted text (request bodies, webhook payloads, the installations file): an
 * error says where, never what, so a token in the input is not echoed into a message or a log.
 */
export type JsonParse = { ok: true; value: unknown } | { ok: false; message: string };

/** JSON.parse without echoing the input back (V8's messages quote a slice of it). */
export function parseJson(text: string): JsonParse {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const position = /position (\d+)/.exec(String((error as Error).message))?.[1];
    return { ok: false, message: `Parse error: invalid JSON${position ? ` at position ${position}` : ""}` };
  }
}
