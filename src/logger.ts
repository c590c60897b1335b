/**
 * The one logger: pino to stderr (fd 2) only, because on stdio stdout belongs to the MCP protocol
 * and a single stray line corrupts it. Secrets are redacted by path wherever they appear.
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

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: options.name ?? "okta-partners-mcp",
      level: options.level ?? process.env.LOG_LEVEL ?? "info",
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      base: undefined,
    },
    pino.destination({ dest: 2, sync: true }),
  );
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
