#!/usr/bin/env node
/**
 * The bin: flags and environment -> a transport. Every failure at start is one clear line on
 * stderr and a non-zero exit; stdout is left to the protocol.
 */
import { ConfigError, parseCli, USAGE } from "./config.js";
import { fail } from "./fail.js";
import { VERSION } from "./version.js";

async function main(): Promise<void> {
  let request: ReturnType<typeof parseCli>;
  try {
    request = parseCli(process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) fail(`${error.message}\nSee okta-partners-mcp --help`, 2);
    throw error;
  }
  switch (request.command) {
    case "help":
      process.stdout.write(USAGE); // stdout-ok: --help is not protocol mode
      return;
    case "version":
      process.stdout.write(`${VERSION}\n`); // stdout-ok: --version is not protocol mode
      return;
    case "sandbox": {
      const { runSandboxCli } = await import("./sandbox/cli.js");
      return runSandboxCli(request.argv);
    }
    case "serve": {
      // Imported only when serving: --help, --version and `sandbox` start without the MCP stack.
      const { serve } = await import("./serve.js");
      return serve(request);
    }
  }
}

main().catch((error: unknown) => {
  fail(`unexpected failure at start: ${error instanceof Error ? error.message : String(error)}`);
});
