/**
 * The one logger: pino to stderr (fd 2) only, because on stdio stdout belongs to the MCP protocol
 * and a single stray line corrupts it. Secrets are redacted by path wherever they appear.
 *
 * Over stdio each line is written synchronously (one client, few lines). Over HTTP (`sync: false`)
 * lines are written without blocking the event loop: a synchronous write per tool call under load
 * costs every request waiting behind it. pino flushes what is buffered on exit, and `flushLogger`
 * does before a graceful shutdown ends, so nothing is lost.
 */
import { pino } from "pino";

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

export function createLogger(options: { level?: string; name?: string; sync?: boolean } = {}): Logger {
  return pino(
    {
      name: options.name ?? "okta-partners-mcp",
      level: options.level ?? process.env.LOG_LEVEL ?? "info",
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      base: undefined,
    },
    pino.destination({ dest: 2, sync: options.sync ?? true, minLength: 0 }),
  );
}

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
