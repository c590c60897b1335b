/**
 * Token and scope changes without a restart: a rotated token file (replaced the way editors and
 * secret mounts do it) with a new grant reaches every live session as tools/list_changed and a new
 * tool list, over stdio (the built bin) and over HTTP; so do a periodic whoami re-read, a 403
 * scope_not_granted, and a reload of the installations file (SIGHUP).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/client";
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  type JSONRPCMessage,
  PROTOCOL_VERSION_META_KEY,
} from "@modelcontextprotocol/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_SCOPES, type Scope } from "../../src/platform/scopes.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { keyIdOf } from "../../src/tenant.js";
import { sha256Hex } from "../../src/transport/client-auth.js";
import {
  binTransport,
  connectInProcess,
  connectStdio,
  READ_ONLY_SCOPES,
  sandboxWith,
  textOf,
} from "../helpers.js";
import { startHttpBin } from "./http-bin.js";
import {
  capturingLogger,
  connectModern,
  connectSse,
  connectStreamable,
  installationFor,
  KEY_A,
  KEY_B,
  raw,
  replaceFile,
  rpc,
  sessionHeaders,
  startServer,
  waitFor,
} from "./http-harness.js";
import { recordNotifications } from "./webhook-harness.js";

const READ_ONLY_TOOLS = 8; // whoami + the reads of READ_ONLY_SCOPES

let sandbox: Sandbox;
let dir: string;
beforeAll(async () => {
  sandbox = await sandboxWith({
    installations: [{ token: "sbx_rot_first_0001", scopes: ALL_SCOPES, tenantId: 42 }],
  });
  dir = mkdtempSync(join(tmpdir(), "okmcp-rotation-"));
});
afterAll(async () => {
  await sandbox?.stop();
});

let counter = 0;

/** The JSON lines of a log (pino on stderr). */
function logLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A new token of tenant 42 with `scopes`, installed in the sandbox. */
function newToken(scopes: readonly Scope[]): string {
  const token = `sbx_rot_${String(++counter).padStart(4, "0")}_${Date.now()}`;
  sandbox.addInstallation({ token, scopes, tenantId: 42 });
  return token;
}

describe("over stdio (the built bin)", () => {
  it("a rotated token file with a changed grant: list_changed and a different tool list", async () => {
    const file = join(dir, "stdio.token");
    writeFileSync(file, "sbx_rot_first_0001\n");
    const mcp = await connectStdio(sandbox, [], { OKTA_PARTNER_TOKEN: "", OKTA_PARTNER_TOKEN_FILE: file });
    const notes = recordNotifications(mcp.client);
    try {
      expect((await mcp.client.listTools()).tools).toHaveLength(22);
      const token = newToken(READ_ONLY_SCOPES);
      replaceFile(file, `${token}\n`);
      await waitFor(() => notes.toolsChanged() > 0, 15_000, "tools/list_changed over stdio");
      const { tools } = await mcp.client.listTools();
      expect(tools).toHaveLength(READ_ONLY_TOOLS);
      expect(tools.map((t) => t.name)).not.toContain("create_student");
      // The scopes changed only because whoami was read with the new token: it is the one in use.
      const who = await mcp.client.callTool({ name: "whoami", arguments: {} });
      expect(who.isError, textOf(who)).toBeFalsy();
      expect(mcp.stderr()).toContain("token file changed");
      expect(mcp.stderr()).not.toContain(token);
      // Told to every listener the installation has: its own (it forgets report runs) and the one
      // server of this connection. No second server follows the grant behind the connection's back.
      const changed = logLines(mcp.stderr()).find(
        (l) => l.msg === "granted scopes changed; updating every session",
      );
      expect(changed?.sessions).toBe(2);
    } finally {
      await mcp.close();
    }
  });
});

describe("over stdio on 2026-07-28 (the built bin)", () => {
  it("a listen stream hears a grant change: list_changed and okta://whoami updated; bad URIs refused", async () => {
    const file = join(dir, "stdio-modern.token");
    writeFileSync(file, "sbx_rot_first_0001\n");
    const mcp = await connectStdio(
      sandbox,
      [],
      { OKTA_PARTNER_TOKEN: "", OKTA_PARTNER_TOKEN_FILE: file },
      { versionNegotiation: { mode: "auto" } },
    );
    const notes = recordNotifications(mcp.client);
    try {
      expect(mcp.client.getNegotiatedProtocolVersion()).toBe("2026-07-28");
      // No webhooks over stdio: no event feed to listen to. Not a subscribable resource either.
      await expect(mcp.client.listen({ resourceSubscriptions: ["okta://events/recent"] })).rejects.toThrow(
        /Cannot subscribe to okta:\/\/events\/recent/,
      );
      await expect(mcp.client.listen({ resourceSubscriptions: ["okta://reports"] })).rejects.toThrow(
        /Cannot subscribe/,
      );
      const sub = await mcp.client.listen({
        resourceSubscriptions: ["okta://whoami", "okta://students/5"],
        toolsListChanged: true,
      });
      expect(sub.honoredFilter.resourceSubscriptions).toEqual(["okta://whoami", "okta://students/5"]);
      replaceFile(file, `${newToken(READ_ONLY_SCOPES)}\n`);
      await waitFor(
        () => notes.toolsChanged() > 0 && notes.updated.includes("okta://whoami"),
        15_000,
        "the grant change on the listen stream",
      );
      // okta://scopes changed too, but this stream did not name it.
      expect(notes.updated).toEqual(["okta://whoami"]);
      expect((await mcp.client.listTools()).tools).toHaveLength(READ_ONLY_TOOLS);
      await sub.close();
    } finally {
      await mcp.close();
    }
  });
});

/** A 2026-07-28 `subscriptions/listen` as a raw message: the connection's first, with its envelope. */
const rawListen = (id: number, uris: string[]): JSONRPCMessage => ({
  jsonrpc: "2.0",
  id,
  method: "subscriptions/listen",
  params: {
    _meta: {
      [PROTOCOL_VERSION_META_KEY]: "2026-07-28",
      [CLIENT_CAPABILITIES_META_KEY]: {},
      [CLIENT_INFO_META_KEY]: { name: "raw", version: "1" },
    },
    notifications: { resourceSubscriptions: uris },
  },
});

describe("over stdio, a 2026-07-28 listen as the connection's first request", () => {
  it("is checked against the grant before any server is made: bad URIs refused, good ones honoured", async () => {
    const transport = binTransport(sandbox);
    const answers = new Map<unknown, JSONRPCMessage>();
    let acknowledged = 0;
    transport.onmessage = (message) => {
      if ("id" in message) answers.set(message.id, message);
      else if ("method" in message && message.method === "notifications/subscriptions/acknowledged")
        acknowledged++;
    };
    await transport.start();
    const listen = (id: number, uris: string[]) => transport.send(rawListen(id, uris));
    try {
      await listen(1, ["okta://reports"]);
      await waitFor(() => answers.has(1), 15_000, "the first listen's answer");
      expect(answers.get(1)).toMatchObject({
        error: { code: -32602, message: expect.stringMatching(/Cannot subscribe/) },
      });
      await listen(2, ["okta://whoami"]);
      await waitFor(() => acknowledged > 0, 15_000, "the second listen acknowledged");
      expect(answers.has(2)).toBe(false); // open: a listen is answered only when it ends
    } finally {
      await transport.close();
    }
  });
});

describe("over stdio, an open listen stream is not a call in flight", () => {
  it("closing stdin with a listen open shuts down at once, counting no call in flight", async () => {
    const transport = binTransport(sandbox, { stderr: "pipe" });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    let acknowledged = 0;
    transport.onmessage = (message) => {
      if ("method" in message && message.method === "notifications/subscriptions/acknowledged")
        acknowledged++;
    };
    await transport.start();
    await transport.send(rawListen(1, ["okta://whoami"]));
    await waitFor(() => acknowledged > 0, 15_000, "the listen acknowledged");
    // Ends stdin, then (after a while) signals: a listen held as a call would wait for the signal.
    await transport.close();
    await waitFor(() => /"msg":"shutting down"/.test(stderr), 15_000, "the shutdown line");
    const line = JSON.parse(stderr.split("\n").find((l) => l.includes('"msg":"shutting down"')) ?? "{}");
    expect(line).toMatchObject({ reason: "client closed the connection", inFlight: 0 });
  });
});

describe("in process (no webhooks: stdio's server)", () => {
  it("a client subscribed to okta://whoami and okta://scopes hears a grant change; no event feed here", async () => {
    const token = newToken(ALL_SCOPES);
    const mcp = await connectInProcess({ baseUrl: sandbox.baseUrl, token });
    const notes = recordNotifications(mcp.client);
    try {
      await mcp.client.subscribeResource({ uri: "okta://whoami" });
      await mcp.client.subscribeResource({ uri: "okta://scopes" });
      await expect(mcp.client.subscribeResource({ uri: "okta://events/recent" })).rejects.toThrow(
        /Cannot subscribe/,
      );
      sandbox.setScopes(token, READ_ONLY_SCOPES);
      await mcp.installation.refreshWhoami();
      await waitFor(() => notes.updated.length >= 2 && notes.toolsChanged() > 0, 15_000, "the notifications");
      expect(notes.updated.sort()).toEqual(["okta://scopes", "okta://whoami"]);
    } finally {
      await mcp.close();
    }
  });
});

describe("over HTTP", () => {
  it("a rotated token_file reaches every live session of the installation, and only those", async () => {
    const northFile = join(dir, "north.token");
    writeFileSync(northFile, "sbx_rot_first_0001");
    const southToken = newToken(ALL_SCOPES);
    const installations = join(dir, "installations.json");
    writeFileSync(
      installations,
      JSON.stringify({
        installations: [
          {
            name: "north",
            token_file: "north.token",
            api_key_sha256: [sha256Hex(KEY_A)],
            base_url: sandbox.baseUrl,
          },
          { name: "south", token: southToken, api_key_sha256: [sha256Hex(KEY_B)], base_url: sandbox.baseUrl },
        ],
      }),
    );
    const server = await startServer(
      { installationsFile: installations },
      { env: {}, watch: { pollMs: 50, whoamiIntervalMs: 0 } },
    );
    const one = await connectStreamable(server, KEY_A);
    const two = await connectStreamable(server, KEY_A);
    const other = await connectStreamable(server, KEY_B);
    const [n1, n2, n3] = [one, two, other].map(recordNotifications);
    try {
      replaceFile(northFile, newToken(READ_ONLY_SCOPES));
      await waitFor(
        () => n1!.toolsChanged() > 0 && n2!.toolsChanged() > 0,
        5_000,
        "list_changed in both sessions",
      );
      expect((await one.listTools()).tools).toHaveLength(READ_ONLY_TOOLS);
      expect((await two.listTools()).tools).toHaveLength(READ_ONLY_TOOLS);
      expect(n3!.toolsChanged()).toBe(0);
      expect((await other.listTools()).tools).toHaveLength(22);
    } finally {
      await Promise.all([one, two, other].map((c) => c.close()));
      await server.close();
    }
  });

  it("a grant changed on the platform: found by the periodic whoami, and after a 403 scope_not_granted", async () => {
    const token = newToken(ALL_SCOPES);
    const periodic = await installationFor(sandbox.baseUrl, token, "periodic");
    periodic.watch({ whoamiIntervalMs: 100 });
    const server = await startServer({ installation: periodic, apiKey: KEY_A }, { env: {} });
    const client = await connectStreamable(server, KEY_A);
    const notes = recordNotifications(client);
    try {
      sandbox.setScopes(token, READ_ONLY_SCOPES);
      await waitFor(() => notes.toolsChanged() > 0, 15_000, "list_changed after the periodic re-read");
      expect((await client.listTools()).tools).toHaveLength(READ_ONLY_TOOLS);
    } finally {
      await client.close();
      await server.close();
      await periodic.close();
    }

    // No timer this time: the platform's 403 is what makes the server look again.
    const denied = newToken(ALL_SCOPES);
    const inst = await installationFor(sandbox.baseUrl, denied, "denied");
    const server2 = await startServer({ installation: inst, apiKey: KEY_A }, { env: {} });
    const client2 = await connectStreamable(server2, KEY_A);
    const notes2 = recordNotifications(client2);
    try {
      sandbox.setScopes(
        denied,
        READ_ONLY_SCOPES.filter((s) => s !== "education.students.read"),
      );
      const refused = await client2.callTool({ name: "list_students", arguments: {} });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toContain("403");
      await waitFor(() => notes2.toolsChanged() > 0, 15_000, "list_changed after the 403");
      expect((await client2.listTools()).tools.map((t) => t.name)).not.toContain("list_students");
    } finally {
      await client2.close();
      await server2.close();
      await inst.close();
    }
  });

  it("reload (SIGHUP) adds, replaces and removes installations; sessions of removed ones are closed", async () => {
    const KEY_C = "test-key-charlie-0123456789abcdef";
    const file = join(dir, "reload.json");
    const entry = (name: string, token: string, key: string) => ({
      name,
      token,
      api_key_sha256: [sha256Hex(key)],
      base_url: sandbox.baseUrl,
    });
    const keep = newToken(ALL_SCOPES);
    const drop = newToken(READ_ONLY_SCOPES);
    writeFileSync(
      file,
      JSON.stringify({ installations: [entry("keep", keep, KEY_A), entry("drop", drop, KEY_B)] }),
    );
    const server = await startServer({ installationsFile: file }, { env: {}, watch: false });
    const kept = await connectStreamable(server, KEY_A);
    const dropped = await connectStreamable(server, KEY_B);
    // 2026 clients have no session: their listen streams are what a reload must end.
    const keptModern = await connectModern(server, KEY_A);
    const droppedModern = await connectModern(server, KEY_B);
    const keptListen = await keptModern.listen({ resourceSubscriptions: ["okta://whoami"] });
    const droppedListen = await droppedModern.listen({ resourceSubscriptions: ["okta://whoami"] });
    try {
      writeFileSync(
        file,
        JSON.stringify({
          installations: [entry("keep", keep, KEY_A), entry("added", newToken(ALL_SCOPES), KEY_C)],
        }),
      );
      expect(await server.reload()).toEqual({ added: ["added"], removed: ["drop"] });
      expect(server.tenants.map((t) => t.name)).toEqual(["keep", "added"]);
      expect(server.sessionCount()).toBe(1);
      expect(await droppedListen.closed).toBe("graceful");
      expect(await Promise.race([keptListen.closed, Promise.resolve("open")])).toBe("open");
      expect((await keptModern.listTools()).tools).toHaveLength(22);
      // The kept session goes on; the new key works; the removed key and its session are gone.
      expect((await kept.listTools()).tools).toHaveLength(22);
      const added = await connectStreamable(server, KEY_C);
      expect((await added.listTools()).tools).toHaveLength(22);
      await added.close();
      await expect(dropped.listTools()).rejects.toThrow();
      const res = await raw(server, {
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json, text/event-stream",
          Authorization: `Bearer ${KEY_B}`,
        },
        body: rpc("tools/list"),
      });
      expect(res.status).toBe(401);
      // A broken file changes nothing.
      writeFileSync(file, "{ not json");
      await expect(server.reload()).rejects.toThrow(/not valid JSON/);
      expect(server.tenants.map((t) => t.name)).toEqual(["keep", "added"]);
    } finally {
      await keptListen.close();
      await keptModern.close();
      await droppedModern.close();
      await kept.close();
      await dropped.close().catch(() => {});
      await server.close();
    }
  });

  it("rotating an API key by reload: adding one closes nothing, removing one closes its sessions only", async () => {
    const keyOf = (n: string) => `test-key-rotate-${n}-0123456789abcdef`;
    const [K1, K2, K3, K4] = [keyOf("one"), keyOf("two"), keyOf("three"), keyOf("four")] as const;
    const idOf = (key: string) => keyIdOf(sha256Hex(key));
    const file = join(dir, "keys.json");
    const school = newToken(ALL_SCOPES);
    const other = newToken(READ_ONLY_SCOPES);
    const write = (schoolKeys: string[], otherKeys: string[]) =>
      writeFileSync(
        file,
        JSON.stringify({
          installations: [
            {
              name: "school",
              token: school,
              api_key_sha256: schoolKeys.map(sha256Hex),
              base_url: sandbox.baseUrl,
            },
            {
              name: "other",
              token: other,
              api_key_sha256: otherKeys.map(sha256Hex),
              base_url: sandbox.baseUrl,
            },
          ],
        }),
      );
    const whoami = async (client: Client) => {
      const result = await client.callTool({ name: "whoami", arguments: {} });
      expect(result.isError, textOf(result)).toBeFalsy();
    };
    write([K1], [K3]);
    const { logger, lines } = capturingLogger();
    const server = await startServer({ installationsFile: file }, { env: {}, watch: false, logger });
    const byK1 = await connectStreamable(server, K1);
    const sseK1 = await connectSse(server, K1);
    const modernK1 = await connectModern(server, K1);
    const listenK1 = await modernK1.listen({ resourceSubscriptions: ["okta://whoami"] });
    const byK3 = await connectStreamable(server, K3);
    const open: Client[] = [byK1, sseK1, modernK1, byK3];
    const stillOpen = (listen: { closed: Promise<string> }) =>
      Promise.race([listen.closed, new Promise((r) => setTimeout(() => r("open"), 50))]);
    try {
      // A key added: nothing is replaced or closed, and the new key works at once.
      write([K1, K2], [K3]);
      expect(await server.reload()).toEqual({ added: [], removed: [] });
      expect(server.sessionCount()).toBe(3);
      await whoami(byK1);
      await whoami(sseK1);
      expect(await stillOpen(listenK1)).toBe("open");
      expect(server.tenants.find((t) => t.name === "school")?.keyIds).toEqual([idOf(K1), idOf(K2)]);
      const byK2 = await connectStreamable(server, K2);
      const modernK2 = await connectModern(server, K2);
      open.push(byK2, modernK2);
      const listenK2 = await modernK2.listen({ resourceSubscriptions: ["okta://whoami"] });
      await whoami(byK2);

      // A key removed: its sessions and listen streams end; the other key's go on.
      write([K2], [K3]);
      expect(await server.reload()).toEqual({ added: [], removed: [] });
      expect(server.sessionCount()).toBe(2); // byK2 and byK3
      expect(await listenK1.closed).toBe("remote");
      expect(await stillOpen(listenK2)).toBe("open");
      await whoami(byK2);
      await whoami(modernK2);
      await expect(byK1.callTool({ name: "whoami", arguments: {} })).rejects.toThrow();
      const revoked = await raw(server, { headers: sessionHeaders(byK1, K1), body: rpc("tools/list") });
      expect(revoked.status).toBe(401);
      const closedLine = logLines(lines.join("")).find(
        (l) => l.keyId === idOf(K1) && l.sessions !== undefined,
      );
      expect(closedLine).toMatchObject({
        installation: "school",
        reason: "the key was removed from the installations file",
        sessions: 2,
        listenStreams: 1,
      });

      // A key moved to another installation: its session there closes (404 next), new ones go here.
      write([K2, K3], [K4]);
      expect(await server.reload()).toEqual({ added: [], removed: [] });
      const moved = await raw(server, { headers: sessionHeaders(byK3, K3), body: rpc("tools/list") });
      expect(moved.status).toBe(404);
      const byK3Now = await connectStreamable(server, K3);
      open.push(byK3Now);
      expect((await byK3Now.listTools()).tools).toHaveLength(22); // school's grant, not other's 8
      expect(
        logLines(lines.join("")).find((l) => l.keyId === idOf(K3) && l.sessions !== undefined),
      ).toMatchObject({
        installation: "other",
        reason: 'the key now selects installation "school"',
        sessions: 1,
      });
      await whoami(byK2);

      // Anything else about the entry still replaces it, keys and all.
      const replaced = newToken(ALL_SCOPES);
      writeFileSync(
        file,
        JSON.stringify({
          installations: [
            {
              name: "school",
              token: replaced,
              api_key_sha256: [K2, K3].map(sha256Hex),
              base_url: sandbox.baseUrl,
            },
            { name: "other", token: other, api_key_sha256: [sha256Hex(K4)], base_url: sandbox.baseUrl },
          ],
        }),
      );
      expect(await server.reload()).toEqual({ added: ["school"], removed: ["school"] });
      expect(await listenK2.closed).toBe("graceful");
      await expect(byK2.callTool({ name: "whoami", arguments: {} })).rejects.toThrow();
      // Never a key or a hash in the log: key ids only.
      const log = lines.join("");
      for (const key of [K1, K2, K3, K4]) {
        expect(log).not.toContain(key);
        expect(log).not.toContain(sha256Hex(key));
      }
    } finally {
      await Promise.all(open.map((c) => c.close().catch(() => {})));
      await server.close();
    }
  });

  it("the bin reloads its installations file on SIGHUP", async () => {
    const KEY_D = "test-key-delta-0123456789abcdef";
    const file = join(dir, "bin.json");
    const entry = (name: string, token: string, key: string) => ({
      name,
      token,
      api_key_sha256: [sha256Hex(key)],
      base_url: sandbox.baseUrl,
    });
    writeFileSync(file, JSON.stringify({ installations: [entry("first", newToken(ALL_SCOPES), KEY_A)] }));
    const bin = await startHttpBin(["--installations", file], {});
    try {
      writeFileSync(
        file,
        JSON.stringify({
          installations: [
            entry("first", newToken(ALL_SCOPES), KEY_A),
            entry("second", newToken(ALL_SCOPES), KEY_D),
          ],
        }),
      );
      bin.child.kill("SIGHUP");
      await waitFor(() => bin.stderr().includes("installations file reloaded"), 10_000, "the reload");
      const client = await connectStreamable(bin.handle, KEY_D);
      expect((await client.listTools()).tools).toHaveLength(22);
      await client.close();
    } finally {
      bin.child.kill("SIGTERM");
      await bin.exit;
    }
  });
});
