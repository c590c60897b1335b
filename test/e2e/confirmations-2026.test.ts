/**
 * Confirmations on the 2026-07-28 era, end to end against the sandbox: a send answers
 * `input_required` with a signed state, and the retry carrying the human's yes sends exactly once.
 * Over stdio the built bin serves a v2 client that negotiated 2026-07-28 (no `initialize` there,
 * so the client's capabilities are read per request). In process, a modern handler around
 * `createServer` is driven round by round to hand back a tampered, replayed, foreign or expired
 * state: each one sends nothing and says why.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  type CallToolResult,
  Client,
  type ClientOptions,
  type ElicitResult,
  type InputRequiredResult,
  isInputRequiredResult,
  StreamableHTTPClientTransport,
} from "@modelcontextprotocol/client";
import { createMcpHandler, type McpHttpHandler } from "@modelcontextprotocol/server";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Installation } from "../../src/installation.js";
import type { Logger } from "../../src/logger.js";
import { silentLogger } from "../../src/logger.js";
import { ALL_SCOPES } from "../../src/platform/scopes.js";
import { createServer, type ServerOptions } from "../../src/server.js";
import { CLI, connectStdio, type StdioHarness, textOf } from "../helpers.js";
import { capturingLogger, northAndSouth } from "./http-harness.js";

const MODERN = "2026-07-28";
const NORTH = 42;
const SOUTH = 7;

const served = northAndSouth({
  installations: [
    { token: "sbx_mrtr_north_0001", scopes: ALL_SCOPES, tenantId: NORTH },
    { token: "sbx_mrtr_south_0002", scopes: ALL_SCOPES, tenantId: SOUTH },
  ],
});
let guardianPhone: string;

beforeAll(() => {
  guardianPhone = served.sandbox.records<{ phone: string }>(NORTH, "guardians")[2]!.phone;
});

/** Messages the platform holds with this text: what really reached it. */
const sent = (message: string, tenantId = NORTH) =>
  served.sandbox.records(tenantId, "notifications").filter((n) => n.message === message);

const unique = (label: string) => `${label} ${randomBytes(4).toString("hex")}`;
const sendCall = (message: string) => ({
  name: "send_notification",
  arguments: { to: guardianPhone, message, channel: "sms" },
});
const ELICITING = { elicitation: { form: {} } };
const accept = async (): Promise<ElicitResult> => ({ action: "accept", content: { confirm: true } });
const decline = async (): Promise<ElicitResult> => ({ action: "decline" });

/** Answers every elicitation `client` receives with `answer`; the questions it was asked, in order. */
function answerEvery(client: Client, answer: () => Promise<ElicitResult>): string[] {
  const asked: string[] = [];
  client.setRequestHandler("elicitation/create", async (request) => {
    asked.push(request.params.message);
    return answer();
  });
  return asked;
}

describe("over stdio (the built bin), 2026-07-28", () => {
  let h: StdioHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  const connect = async (options: ClientOptions) => {
    h = await connectStdio(
      { baseUrl: served.sandbox.baseUrl, token: "sbx_mrtr_north_0001" },
      [],
      {},
      {
        versionNegotiation: { mode: "auto" },
        ...options,
      },
    );
    expect(h.client.getNegotiatedProtocolVersion()).toBe(MODERN);
    return h.client;
  };

  it("asks once; on yes exactly one message reaches the platform", async () => {
    const client = await connect({ capabilities: ELICITING });
    const asked = answerEvery(client, accept);
    const message = unique("Stdio yes");
    const result = (await client.callTool(sendCall(message))) as CallToolResult;
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain(message);
    expect(asked[0]).toContain("SMS");
    expect(sent(message)).toHaveLength(1);
    expect(result.structuredContent).toMatchObject({ outcome: "sent" });
  });

  it("an identical send already made is not asked again: no input_required, nothing new sent", async () => {
    const client = await connect({ capabilities: ELICITING });
    const asked = answerEvery(client, accept);
    const message = unique("Stdio twice");
    const first = (await client.callTool(sendCall(message))) as CallToolResult;
    expect(first.isError, textOf(first)).toBeFalsy();
    const again = (await client.callTool(sendCall(message))) as CallToolResult;
    expect(again.isError, textOf(again)).toBeFalsy();
    expect(asked).toHaveLength(1);
    expect(again.structuredContent).toMatchObject({ outcome: "replayed" });
    expect(sent(message)).toHaveLength(1);
  });

  it("on no, nothing is sent and the call says so", async () => {
    const client = await connect({ capabilities: ELICITING });
    const asked = answerEvery(client, decline);
    const message = unique("Stdio no");
    const result = (await client.callTool(sendCall(message))) as CallToolResult;
    expect(asked).toHaveLength(1);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe("Not sent: the user declined to confirm the message.");
    expect(sent(message)).toHaveLength(0);
  });

  it("a 2025 client on the same bin is still asked by an elicitation request", async () => {
    h = await connectStdio(
      { baseUrl: served.sandbox.baseUrl, token: "sbx_mrtr_north_0001" },
      [],
      {},
      {
        capabilities: ELICITING,
      },
    );
    expect(h.client.getProtocolEra()).toBe("legacy");
    const asked = answerEvery(h.client, accept);
    const message = unique("Stdio 2025 yes");
    const result = (await h.client.callTool(sendCall(message))) as CallToolResult;
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(asked).toHaveLength(1);
    expect(sent(message)).toHaveLength(1);
  });

  it("a client without elicitation keeps its host's own approval: the send goes ahead, unasked", async () => {
    const client = await connect({});
    const message = unique("Stdio host-approved");
    const result = (await client.callTool(sendCall(message))) as CallToolResult;
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(sent(message)).toHaveLength(1);
  });
});

/** A modern handler around the project's own factory, reached in process as over HTTP. */
function modernHandler(
  installation: Installation,
  options: ServerOptions = {},
  logger: Logger = silentLogger(),
) {
  return createMcpHandler(() => createServer(installation, options, logger).mcp, { legacy: "reject" });
}

const opened: Client[] = [];
const handlers: McpHttpHandler[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
  await Promise.all(handlers.splice(0).map((h) => h.close()));
});

/** A v2 client on 2026-07-28 whose requests arrive authenticated as API key `keyId`. */
async function connectModern(
  handler: McpHttpHandler,
  keyId: string,
  options: ClientOptions = {},
): Promise<Client> {
  const client = new Client(
    { name: "mrtr-test", version: "1.0.0" },
    { versionNegotiation: { mode: "auto" }, capabilities: ELICITING, ...options },
  );
  const authInfo = { token: "", clientId: keyId, scopes: [] };
  await client.connect(
    new StreamableHTTPClientTransport(new URL("http://mcp.test/mcp"), {
      fetch: (url, init) => handler.fetch(new Request(url, init), { authInfo }),
    }),
  );
  opened.push(client);
  expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
  return client;
}

/** A client that hands every `input_required` round back to the test instead of answering it. */
const manual = (handler: McpHttpHandler, keyId = "key-a") =>
  connectModern(handler, keyId, { inputRequired: { autoFulfill: false } });

type Args = ReturnType<typeof sendCall>["arguments"];
const call = (client: Client, args: Args, round: { inputResponses?: unknown; requestState?: string } = {}) =>
  client.request(
    { method: "tools/call", params: { name: "send_notification", arguments: args, ...round } },
    { allowInputRequired: true },
  ) as Promise<CallToolResult | InputRequiredResult>;

const YES = { confirm: { action: "accept", content: { confirm: true } } };

/** The first round: the question and the signed state that must come back with the answer. */
async function firstRound(client: Client, args: Args): Promise<InputRequiredResult> {
  const first = await call(client, args);
  if (!isInputRequiredResult(first)) throw new Error(`expected input_required, got ${JSON.stringify(first)}`);
  expect(first.inputRequests?.confirm?.method).toBe("elicitation/create");
  expect(typeof first.requestState).toBe("string");
  return first;
}

/** The state's payload, edited, re-encoded under the original MAC: what a forger can do. */
function tampered(state: string, edit: (payload: { p: { args: string } }) => void): string {
  const [version, body, mac] = state.split(".");
  const payload = JSON.parse(Buffer.from(body!, "base64url").toString());
  edit(payload);
  return [version, Buffer.from(JSON.stringify(payload)).toString("base64url"), mac].join(".");
}

const refusal = (result: CallToolResult | InputRequiredResult) => {
  expect(isInputRequiredResult(result)).toBe(false);
  const done = result as CallToolResult;
  expect(done.isError).toBe(true);
  return textOf(done);
};

describe("in process (a modern handler), round by round", () => {
  it("the client's elicitation handler answers the round: yes sends once, no sends nothing", async () => {
    const { logger, lines } = capturingLogger();
    const handler = modernHandler(served.north, {}, logger);
    handlers.push(handler);
    const client = await connectModern(handler, "key-a");
    let answer = accept;
    client.setRequestHandler("elicitation/create", () => answer());
    const yes = unique("Auto yes");
    const result = (await client.callTool(sendCall(yes))) as CallToolResult;
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(sent(yes)).toHaveLength(1);
    // One line per round: the question, then the outcome (not two lines that both look like the call).
    const calls = lines.filter((l) => l.includes('"msg":"tool call"')).map((l) => JSON.parse(l));
    expect(calls.map((c) => c.status)).toEqual(["input_required", "ok"]);
    expect(calls[1].confirmed).toBe(true);

    answer = decline;
    const no = unique("Auto no");
    const declined = (await client.callTool(sendCall(no))) as CallToolResult;
    expect(textOf(declined)).toBe("Not sent: the user declined to confirm the message.");
    expect(sent(no)).toHaveLength(0);
  });

  it("a --confirm write is asked as `field: value` lines: no creates nothing, yes creates it once", async () => {
    const handler = modernHandler(served.north, { confirm: ["create_subject"] });
    handlers.push(handler);
    const client = await connectModern(handler, "key-a");
    let answer = decline;
    const asked = answerEvery(client, () => answer());
    const code = `MR-${randomBytes(3).toString("hex").toUpperCase()}`;
    const subjects = () =>
      served.sandbox.records<{ code: string }>(NORTH, "subjects").filter((s) => s.code === code);
    const create = { name: "create_subject", arguments: { name: "Latin", code } };
    const no = (await client.callTool(create)) as CallToolResult;
    expect(textOf(no)).toBe("Not sent: the user declined to confirm create_subject.");
    expect(asked[0]).toContain(`name: Latin\ncode: ${code}`);
    expect(subjects()).toHaveLength(0);
    answer = accept;
    const yes = (await client.callTool(create)) as CallToolResult;
    expect(yes.isError, textOf(yes)).toBeFalsy();
    expect(asked).toHaveLength(2);
    expect(subjects()).toHaveLength(1);
  });

  it("a bare `elicitation: {}` counts as form; --stateless (even with unconfirmed sends) still asks", async () => {
    const handler = modernHandler(served.north, { sessionless: true, allowUnconfirmedSends: true });
    handlers.push(handler);
    const client = await connectModern(handler, "key-a", { capabilities: { elicitation: {} } });
    const asked = answerEvery(client, accept);
    const message = unique("Bare capability");
    const result = (await client.callTool(sendCall(message))) as CallToolResult;
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(asked).toHaveLength(1);
    expect(sent(message)).toHaveLength(1);
  });

  it("the genuine state with yes sends exactly once; sent again, it replays instead of sending twice", async () => {
    const handler = modernHandler(served.north);
    handlers.push(handler);
    const client = await manual(handler);
    const args = sendCall(unique("Manual yes")).arguments;
    const first = await firstRound(client, args);
    expect(sent(args.message)).toHaveLength(0);
    const done = (await call(client, args, {
      inputResponses: YES,
      requestState: first.requestState,
    })) as CallToolResult;
    expect(done.isError, textOf(done)).toBeFalsy();
    expect(done.structuredContent).toMatchObject({ outcome: "sent" });
    const again = (await call(client, args, {
      inputResponses: YES,
      requestState: first.requestState,
    })) as CallToolResult;
    expect(again.structuredContent).toMatchObject({ outcome: "replayed" });
    expect(sent(args.message)).toHaveLength(1);
  });

  it("a yes without a state is not a confirmation: the human is asked, nothing is sent", async () => {
    const handler = modernHandler(served.north);
    handlers.push(handler);
    const client = await manual(handler);
    const args = sendCall(unique("Unasked yes")).arguments;
    const result = await call(client, args, { inputResponses: YES });
    expect(isInputRequiredResult(result)).toBe(true);
    expect(sent(args.message)).toHaveLength(0);
  });

  it("the state without an answer sends nothing", async () => {
    const handler = modernHandler(served.north);
    handlers.push(handler);
    const client = await manual(handler);
    const args = sendCall(unique("No answer")).arguments;
    const first = await firstRound(client, args);
    const text = refusal(await call(client, args, { requestState: first.requestState }));
    expect(text).toMatch(
      /^No answer to the confirmation of the message came back with the call; nothing was sent/,
    );
    expect(sent(args.message)).toHaveLength(0);
  });

  it("a tampered state (its payload edited under the old MAC) sends nothing", async () => {
    const handler = modernHandler(served.north);
    handlers.push(handler);
    const client = await manual(handler);
    const asked = sendCall(unique("Asked about")).arguments;
    const evil = { ...asked, message: unique("Tampered") };
    const first = await firstRound(client, asked);
    // The forger rewrites the digest to fit the other message: the MAC no longer matches.
    const legit = await firstRound(client, evil);
    const forged = tampered(first.requestState!, (p) => {
      p.p.args = JSON.parse(Buffer.from(legit.requestState!.split(".")[1]!, "base64url").toString()).p.args;
    });
    const text = refusal(await call(client, evil, { inputResponses: YES, requestState: forged }));
    expect(text).toMatch(/was altered or not issued by this server, and nothing was sent/);
    const garbage = refusal(await call(client, evil, { inputResponses: YES, requestState: "v1.e30.AAAA" }));
    expect(garbage).toMatch(/was altered or not issued by this server/);
    expect(sent(evil.message)).toHaveLength(0);
    expect(sent(asked.message)).toHaveLength(0);
  });

  it("a genuine state replayed with other arguments sends nothing", async () => {
    const handler = modernHandler(served.north);
    handlers.push(handler);
    const client = await manual(handler);
    const asked = sendCall(unique("Confirmed text")).arguments;
    const other = { ...asked, message: unique("Other text") };
    const first = await firstRound(client, asked);
    const text = refusal(
      await call(client, other, { inputResponses: YES, requestState: first.requestState }),
    );
    expect(text).toBe(
      "Not sent: the confirmation handed back was given for another call than this send_notification with these arguments, and nothing was sent. Call again to ask the user about this one.",
    );
    const otherChannel = refusal(
      await call(
        client,
        { ...asked, channel: "email" },
        { inputResponses: YES, requestState: first.requestState },
      ),
    );
    expect(otherChannel).toMatch(/for another call than this send_notification/);
    expect(sent(other.message)).toHaveLength(0);
    expect(sent(asked.message)).toHaveLength(0);
  });

  it("a state from another API key, or another installation, sends nothing", async () => {
    const northHandler = modernHandler(served.north);
    const southHandler = modernHandler(served.south);
    handlers.push(northHandler, southHandler);
    const args = sendCall(unique("Foreign")).arguments;
    const first = await firstRound(await manual(northHandler, "key-a"), args);
    const otherKey = refusal(
      await call(await manual(northHandler, "key-b"), args, {
        inputResponses: YES,
        requestState: first.requestState,
      }),
    );
    expect(otherKey).toMatch(/was issued to another API key or installation, and nothing was sent/);
    const otherInstallation = refusal(
      await call(await manual(southHandler, "key-a"), args, {
        inputResponses: YES,
        requestState: first.requestState,
      }),
    );
    expect(otherInstallation).toMatch(/was issued to another API key or installation/);
    expect(sent(args.message)).toHaveLength(0);
    expect(sent(args.message, SOUTH)).toHaveLength(0);
  });

  it("an expired state sends nothing", async () => {
    // Minted already past its time: the same check as a state held past the 10 minutes.
    const handler = modernHandler(served.north, { requestState: { key: randomBytes(32), ttlSeconds: -1 } });
    handlers.push(handler);
    const client = await manual(handler);
    const args = sendCall(unique("Expired")).arguments;
    const first = await firstRound(client, args);
    const text = refusal(await call(client, args, { inputResponses: YES, requestState: first.requestState }));
    expect(text).toMatch(
      /^Not sent: the confirmation of the message expired .*nothing was sent\. Call again/,
    );
    expect(sent(args.message)).toHaveLength(0);
  });

  it("a state signed with another key (another instance without the shared key) sends nothing", async () => {
    const minting = modernHandler(served.north, { requestState: { key: randomBytes(32) } });
    const checking = modernHandler(served.north, { requestState: { key: randomBytes(32) } });
    handlers.push(minting, checking);
    const args = sendCall(unique("Other instance")).arguments;
    const first = await firstRound(await manual(minting), args);
    const text = refusal(
      await call(await manual(checking), args, { inputResponses: YES, requestState: first.requestState }),
    );
    expect(text).toMatch(/was altered or not issued by this server/);
    expect(sent(args.message)).toHaveLength(0);
  });
});

describe("the bin at start", () => {
  const start = (env: Record<string, string>) =>
    spawnSync(process.execPath, [CLI, "--transport", "http"], {
      env: { PATH: process.env.PATH ?? "", ...env },
      encoding: "utf8",
      timeout: 15_000,
    });
  it("refuses several instances (REDIS_URL) without a shared key, and a key too short, naming it", () => {
    const several = start({ REDIS_URL: "redis://127.0.0.1:1" });
    expect(several.status).toBe(1);
    expect(several.stderr).toContain(
      "REDIS_URL is set (several instances) but OKTA_MCP_REQUEST_STATE_KEY is not",
    );
    const short = start({ OKTA_MCP_REQUEST_STATE_KEY: "c2hvcnQ=" });
    expect(short.status).toBe(1);
    expect(short.stderr).toContain("OKTA_MCP_REQUEST_STATE_KEY is 5 bytes; use at least 32 random bytes");
    expect(short.stderr).not.toContain("c2hvcnQ=");
  });
});
