/** A failure at start: one clear line on stderr (stdout belongs to the protocol) and an exit code. */
export function fail(message: string, code = 1): never {
  process.stderr.write(`okta-partners-mcp: ${message}\n`);
  process.exit(code);
}
