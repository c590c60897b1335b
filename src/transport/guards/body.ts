/**
 * Reading a request body: capped and timed, as bytes or UTF-8 text, and the lingering close that
 * lets a client refused with 413 read its answer. Touches only the given request.
 */
import type { IncomingMessage } from "node:http";

export type BodyRead = { ok: true; text: string } | { ok: false; status: 413 | 408 | 400; message: string };
export type BodyBytes = { ok: true; bytes: Buffer } | { ok: false; status: 413 | 408 | 400; message: string };

/** The body as UTF-8 text; see readBodyBytes. */
export async function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<BodyRead> {
  const read = await readBodyBytes(req, maxBytes, timeoutMs);
  return read.ok ? { ok: true, text: read.bytes.toString("utf8") } : read;
}

/**
 * Reads a request body as bytes (a webhook signature covers the exact bytes), refusing more than
 * `maxBytes` (a declared Content-Length over the cap is refused before reading anything) and a
 * client that takes longer than `timeoutMs` to send it. On refusal the caller answers; after a
 * 413 it should end the answer only once `lingerAfter` has read away the rest (see there).
 */
export function readBodyBytes(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<BodyBytes> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.resolve({ ok: false, status: 413, message: tooLargeMessage(maxBytes) });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const finish = (result: BodyBytes) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
      if (!result.ok) req.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) finish({ ok: false, status: 413, message: tooLargeMessage(maxBytes) });
      else chunks.push(chunk);
    };
    const onEnd = () => finish({ ok: true, bytes: Buffer.concat(chunks) });
    const onError = () =>
      finish({ ok: false, status: 400, message: "Bad Request: the request body could not be read" });
    const onAborted = onError;
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          status: 408,
          message: `Request Timeout: the body took longer than ${timeoutMs} ms to arrive`,
        }),
      timeoutMs,
    );
    timer.unref();
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAborted);
  });
}

/**
 * Lingering close (as nginx does): a client refused with 413 is usually still writing its body.
 * Closing at once resets the connection under its writes (EPIPE, ECONNRESET) and the 413 is lost,
 * so the rest is read and thrown away, up to these bounds, before the connection closes.
 */
export const LINGER_BOUNDS = { maxBytes: 8 * 1024 * 1024, maxMs: 5_000 } as const;

/** Reads and discards what is left of a request body; resolves at its end or at a bound. */
export function discardRest(req: IncomingMessage, bounds = LINGER_BOUNDS): Promise<void> {
  return new Promise((resolve) => {
    if (req.complete || req.destroyed) return resolve();
    let seen = 0;
    const done = () => {
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", done);
      req.off("close", done);
      req.off("error", done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > bounds.maxBytes) done();
    };
    const timer = setTimeout(done, bounds.maxMs);
    timer.unref();
    req.on("data", onData);
    req.once("end", done);
    req.once("close", done);
    req.once("error", done);
    req.resume();
  });
}

/** What a refused body's answer waits for before it ends: the rest of the body after a 413. */
export function lingerAfter(req: IncomingMessage, status: number): Promise<void> | undefined {
  return status === 413 ? discardRest(req) : undefined;
}

function tooLargeMessage(maxBytes: number): string {
  return `Payload Too Large: the request body must not exceed ${maxBytes} bytes`;
}
