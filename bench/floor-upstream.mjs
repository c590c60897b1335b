/**
 * The one upstream read every HTTP floor makes, as ours does for `get_student`: GET
 * /education/students/{id} on the sandbox with the partner token, over a keep-alive pool, the JSON
 * parsed, then answered as text plus structured content. Shared so the floors (v1 and v2, each
 * era) compare with ours like with like: the same tool and read, nothing else (no auth, no logging).
 *
 * Env: OKTA_API_BASE_URL, OKTA_PARTNER_TOKEN.
 */
import { Pool } from "undici";
import { z } from "zod";

const base = new URL(process.env.OKTA_API_BASE_URL);
const pool = new Pool(base.origin, { connections: 64 });
const headers = { authorization: `Bearer ${process.env.OKTA_PARTNER_TOKEN}`, accept: "application/json" };

/** The tool's result for student `id`, read upstream. */
export async function getStudentResult(id) {
  const res = await pool.request({
    method: "GET",
    path: `${base.pathname}/education/students/${id}`,
    headers,
  });
  const body = JSON.parse(await res.body.text());
  if (res.statusCode !== 200) throw new Error(`upstream answered ${res.statusCode}`);
  return { content: [{ type: "text", text: JSON.stringify(body) }], structuredContent: body };
}

/** Registers the floors' one tool, `get_student`, on `server` (an McpServer of either SDK). */
export function withGetStudent(server) {
  server.registerTool(
    "get_student",
    { description: "One student by id", inputSchema: z.object({ id: z.number().int() }) },
    ({ id }) => getStudentResult(id),
  );
  return server;
}

/** Prints the one line the bench waits for once `server` listens. */
export function announce(server) {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/mcp` })}\n`);
}
