/**
 * Memory: RSS of ours and the floor idle over stdio (after initialize, tools/list and one call),
 * and RSS growth per open Streamable HTTP session with many sessions open at once.
 */
import { Pool } from "undici";
import { openSessions } from "./http-load.js";
import {
  CLI,
  connectStdioServer,
  FLOOR,
  rssMiB,
  type SandboxProcess,
  sleep,
  startBenchHttpServer,
} from "./procs.js";
import { type Spread, spread } from "./stats.js";

export interface MemoryResult {
  idleRssMiB: { ours: Spread; floor: Spread };
  sessions: {
    count: number;
    baseRssMiB: Spread;
    withSessionsRssMiB: Spread;
    /** (RSS with sessions - RSS before) / count. */
    perSessionKiB: Spread;
  };
}

export async function memory(
  sandbox: SandboxProcess,
  options: { rounds: number; sessions: number },
): Promise<MemoryResult> {
  const env = { OKTA_PARTNER_TOKEN: sandbox.token, OKTA_API_BASE_URL: sandbox.baseUrl };
  const ours: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < options.rounds; i++) {
    const o = await connectStdioServer([CLI], env);
    const f = await connectStdioServer([FLOOR], {});
    try {
      await o.client.listTools();
      await o.client.callTool({ name: "get_student", arguments: { id: 1 } });
      await f.client.listTools();
      await f.client.callTool({ name: "constant", arguments: {} });
      await sleep(1_000);
      ours.push(rssMiB(o.pid));
      floor.push(rssMiB(f.pid));
    } finally {
      await o.close();
      await f.close();
    }
  }

  const base: number[] = [];
  const loaded: number[] = [];
  const perSession: number[] = [];
  for (let i = 0; i < options.rounds; i++) {
    const server = await startBenchHttpServer(sandbox, { kind: "ours", stateless: false });
    const pool = new Pool(new URL(server.url).origin, { connections: 32 });
    try {
      // One session and call first, so lazy start-up costs are not charged to the sessions.
      const [warm] = await openSessions(server, 1, pool);
      await warm!.callTool("get_student", { id: 1 });
      await sleep(500);
      const before = rssMiB(server.pid);
      await openSessions(server, options.sessions, pool);
      await sleep(1_000);
      const after = rssMiB(server.pid);
      base.push(before);
      loaded.push(after);
      perSession.push(((after - before) * 1024) / options.sessions);
    } finally {
      await pool.close();
      await server.stop();
    }
  }
  return {
    idleRssMiB: { ours: spread(ours), floor: spread(floor) },
    sessions: {
      count: options.sessions,
      baseRssMiB: spread(base),
      withSessionsRssMiB: spread(loaded),
      perSessionKiB: spread(perSession),
    },
  };
}
