/**
 * Context cost: what a model pays in every conversation (tools/list, the instructions) and per call
 * (result sizes), in characters and estimated tokens (chars / 4, the usual rough rule for English
 * and JSON). Measured in-process against the embedded sandbox with every scope granted.
 */

import type { CallToolResult } from "@modelcontextprotocol/client";
import { Client, InMemoryTransport } from "@modelcontextprotocol/client";
import { Installation } from "../../src/installation.js";
import { silentLogger } from "../../src/logger.js";
import { startSandbox } from "../../src/sandbox/index.js";
import { createServer, type ServerOptions } from "../../src/server.js";
import { VALID_CALLS } from "../../test/e2e/valid-calls.js";

export const tokensOf = (chars: number) => Math.round(chars / 4);

/** The part of a tool definition the 3,000-token budget covers (test/tools/definitions.test.ts). */
export function budgetedPart<
  T extends {
    name: string;
    title?: string;
    description?: string;
    inputSchema: unknown;
    annotations?: unknown;
  },
>({ name, title, description, inputSchema, annotations }: T) {
  return { name, title, description, inputSchema, annotations };
}

export interface ContextCost {
  toolCount: number;
  toolsListChars: number;
  toolsListTokens: number;
  /** tools/list without output schemas: what test/tools/definitions.test.ts holds to 3,000 tokens. */
  withoutOutputSchemas: { chars: number; tokens: number };
  instructionsChars: number;
  perTool: { name: string; chars: number; tokens: number }[];
  readOnly: { toolCount: number; toolsListChars: number; toolsListTokens: number };
  results: { tool: string; textChars: number; structuredChars: number; tokens: number }[];
}

async function connect(baseUrl: string, token: string, options: ServerOptions) {
  const installation = new Installation({ baseUrl, token, logger: silentLogger() });
  await installation.refreshWhoami();
  const server = createServer(installation, options, silentLogger());
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "context-cost", version: "1.0.0" });
  await server.mcp.connect(b);
  await client.connect(a);
  return {
    client,
    close: async () => {
      await client.close();
      await installation.close();
    },
  };
}

export async function contextCost(): Promise<ContextCost> {
  const sandbox = await startSandbox({ rateLimit: { limit: 0, windowMs: 60_000 } });
  try {
    const full = await connect(sandbox.baseUrl, sandbox.token, {});
    const ro = await connect(sandbox.baseUrl, sandbox.token, { readOnly: true });
    try {
      const list = await full.client.listTools();
      const roList = await ro.client.listTools();
      const perTool = list.tools
        .map((t) => {
          const chars = JSON.stringify(t).length;
          return { name: t.name, chars, tokens: tokensOf(chars) };
        })
        .sort((x, y) => y.chars - x.chars);
      const results: ContextCost["results"] = [];
      for (const [tool, args] of Object.entries(VALID_CALLS)) {
        const result = (await full.client.callTool({ name: tool, arguments: args })) as CallToolResult;
        const textChars = result.content
          .map((c) => (c.type === "text" ? c.text.length : JSON.stringify(c).length))
          .reduce((s, n) => s + n, 0);
        const structuredChars = result.structuredContent
          ? JSON.stringify(result.structuredContent).length
          : 0;
        results.push({ tool, textChars, structuredChars, tokens: tokensOf(textChars) });
      }
      const listChars = JSON.stringify(list.tools).length;
      const bareChars = JSON.stringify(list.tools.map(budgetedPart)).length;
      const roChars = JSON.stringify(roList.tools).length;
      return {
        toolCount: list.tools.length,
        toolsListChars: listChars,
        toolsListTokens: tokensOf(listChars),
        withoutOutputSchemas: { chars: bareChars, tokens: tokensOf(bareChars) },
        instructionsChars: full.client.getInstructions()?.length ?? 0,
        perTool,
        readOnly: {
          toolCount: roList.tools.length,
          toolsListChars: roChars,
          toolsListTokens: tokensOf(roChars),
        },
        results,
      };
    } finally {
      await full.close();
      await ro.close();
    }
  } finally {
    await sandbox.stop();
  }
}

export function contextCostTable(c: ContextCost): string {
  const lines = [
    `tools/list, all 14 scopes: ${c.toolCount} tools, ${c.toolsListChars} chars, ~${c.toolsListTokens} tokens` +
      ` (+ instructions ${c.instructionsChars} chars, ~${tokensOf(c.instructionsChars)} tokens)`,
    `  of which without output schemas (names, titles, descriptions, input schemas, annotations): ${c.withoutOutputSchemas.chars} chars, ~${c.withoutOutputSchemas.tokens} tokens`,
    `tools/list, --read-only: ${c.readOnly.toolCount} tools, ${c.readOnly.toolsListChars} chars, ~${c.readOnly.toolsListTokens} tokens`,
    "",
    "| tool | definition chars | ~tokens | typical result text chars | ~tokens |",
    "|---|---:|---:|---:|---:|",
  ];
  const byTool = new Map(c.results.map((r) => [r.tool, r]));
  for (const t of c.perTool) {
    const r = byTool.get(t.name);
    lines.push(`| ${t.name} | ${t.chars} | ${t.tokens} | ${r?.textChars ?? ""} | ${r?.tokens ?? ""} |`);
  }
  return lines.join("\n");
}
