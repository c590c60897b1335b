/**
 * The one logger: pino to stderr (fd 2) only, because on stdio stdout belongs to the MCP protocol
 * and a single stray line corrupts it. Secrets are redacted by path wherever they appear.
 *
 * Over stdio each line is written synchronously (one client, few lines). Over HTTP (`sync: false`)
 * lines are written without blocking the event loop: a synchronous write per tool call under load
 * costs every request waiting behind it. They are also gathered into writes of a few KiB (one
 * write per line was a system call per tool call), flushed at least every FLUSH_EVERY_MS so a
 * quiet server's lines still appear at once to the eye. pino flushes what is buffered on exit,
 * and `flushLogger` does before a graceful shutdown ends, so nothing is lost.
 */
import { pino } from "pino";
import { weakMemo } from "./weak-memo.js";

export type Logger = pino.Logger;

export const REDACT_PATHS = [
  "token",
  "*.token",
  "apiKey",
  "*.apiKey",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  'headers["idempotency-key"]',
  "idempotencyKey",
  "*.idempotencyKey",
  "secret",
  "*.secret",
];

/** Asynchronous lines are written once this much is gathered, or at the next flush tick. */
const GATHER_BYTES = 4096;
const FLUSH_EVERY_MS = 100;

export function createLogger(options: { level?: string; name?: string; sync?: boolean } = {}): Logger {
  const sync = options.sync ?? true;
  const destination = pino.destination({ dest: 2, sync, minLength: sync ? 0 : GATHER_BYTES });
  if (!sync) {
    const tick = setInterval(() => {
      try {
        destination.flush();
      } catch {
        // Not open yet, or stderr is gone: nothing to write to.
      }
    }, FLUSH_EVERY_MS);
    tick.unref();
    destination.once("close", () => clearInterval(tick));
  }
  return pino(
    {
      name: options.name ?? "okta-partners-mcp",
      level: options.level ?? process.env.LOG_LEVEL ?? "info",
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      base: undefined,
    },
    destination,
  );
}

/**
 * A child that skips redaction, for the one line per tool call only: its fields are fixed (tool,
 * installation, status, confirmed, attempts, ms) and none can hold a secret, and redacting by
 * REDACT_PATHS (13 paths, 6 of them wildcards) cost ~4.5 us of a line's ~5. Every other line
 * keeps the parent's redaction.
 */
export const callLogger: (logger: Logger) => Logger = weakMemo((logger: Logger) =>
  // One per logger: a server is made per request on some paths, and a child is not free to make.
  logger.child({}, { redact: { paths: [] } }),
);

/**
 * Writes out, synchronously, what an asynchronous logger still holds: the last lines of a
 * shutdown. A no-op for a synchronous logger, and never throws (a closed stderr is not an error).
 */
export function flushLogger(logger: Logger): void {
  const stream = (logger as unknown as Record<symbol, { flushSync?: () => void }>)[pino.symbols.streamSym];
  try {
    stream?.flushSync?.();
  } catch {
    // Nothing more can be written: stderr is gone or not open yet.
  }
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
