/**
 * One suite, every transport and era (as the SDK's own e2e tests do): the same behaviours through
 * the SDK's v2 Client over stdio (2026-07-28 and 2025), modern Streamable HTTP (2026-07-28, no
 * session), legacy sessionful HTTP, legacy stateless HTTP and legacy HTTP+SSE (2025), each against
 * the sandbox on loopback. What one transport serves, every transport serves the same way.
 */
import { randomUUID } from "node:crypto";
import { Client, ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Installation } from "../../src/installation.js";
import type { Sandbox, StoredRecord } from "../../src/sandbox/index.js";
import type { HttpServerHandle } from "../../src/transport/http.js";
import { binTransport, sandboxWith, structured, textOf } from "../helpers.js";
import {
  connectModern,
  connectSse,
  connectStreamable,
  installationFor,
  KEY_A,
  startServer,
} from "./http-harness.js";

const MODERN = "2026-07-28";

interface Connection {
  client: Client;
  close: () => Promise<void>;
}

interface TransportCase {
  name: string;
  era: "modern" | "legacy";
  /** How a send is confirmed: asked (an elicitation, or an input_required round), or refused (nobody to ask). */
  sends: "asked" | "refused";
  connect: () => Promise<Connection>;
}

/** Every client here can show a form, and answers each confirmation with the current answer. */
const ELICITING = { elicitation: { form: {} } };
let answer: "accept" | "decline" = "accept";
const asked: string[] = [];

function answering(client: Client): Client {
  client.setRequestHandler("elicitation/create", async (request) => {
    asked.push(request.params.message);
    return answer === "accept" ? { action: "accept", content: { confirm: true } } : { action: "decline" };
  });
  return client;
}

let sandbox: Sandbox;
let installation: Installation;
let sessionful: HttpServerHandle;
let stateless: HttpServerHandle;

beforeAll(async () => {
  sandbox = await sandboxWith();
  installation = await installationFor(sandbox.baseUrl, sandbox.token, "contract");
  sessionful = await startServer({ installation, apiKey: KEY_A }, { options: { eventFeed: true } });
  stateless = await startServer({ installation, apiKey: KEY_A }, { stateless: true });
});
afterAll(async () => {
  await sessionful?.close();
  await stateless?.close();
  await installation?.close();
  await sandbox?.stop();
});

function stdio(era: "modern" | "legacy"): () => Promise<Connection> {
  return async () => {
    const transport = binTransport(sandbox);
    const client = answering(
      new Client(
        { name: "contract", version: "1.0.0" },
        {
          capabilities: ELICITING,
          ...(era === "modern" ? { versionNegotiation: { mode: "auto" as const } } : {}),
        },
      ),
    );
    await client.connect(transport);
    return { client, close: () => client.close() };
  };
}

function over(connect: () => Promise<Client>): () => Promise<Connection> {
  return async () => {
    const client = answering(await connect());
    return { client, close: () => client.close() };
  };
}

const TRANSPORTS: TransportCase[] = [
  { name: "stdio, 2026-07-28", era: "modern", sends: "asked", connect: stdio("modern") },
  { name: "stdio, 2025", era: "legacy", sends: "asked", connect: stdio("legacy") },
  {
    name: "Streamable HTTP, 2026-07-28",
    era: "modern",
    sends: "asked",
    connect: over(() => connectModern(sessionful, KEY_A, { capabilities: ELICITING })),
  },
  {
    name: "Streamable HTTP --stateless, 2026-07-28",
    era: "modern",
    sends: "asked",
    connect: over(() => connectModern(stateless, KEY_A, { capabilities: ELICITING })),
  },
  {
    name: "sessionful Streamable HTTP, 2025",
    era: "legacy",
    sends: "asked",
    connect: over(() => connectStreamable(sessionful, KEY_A, { capabilities: ELICITING })),
  },
  {
    name: "stateless Streamable HTTP, 2025",
    era: "legacy",
    sends: "refused",
    connect: over(() => connectStreamable(stateless, KEY_A, { capabilities: ELICITING })),
  },
  {
    name: "HTTP+SSE, 2025",
    era: "legacy",
    sends: "asked",
    connect: over(() => connectSseAsking(sessionful)),
  },
];

async function connectSseAsking(server: HttpServerHandle): Promise<Client> {
  return connectSse(server, KEY_A, { capabilities: ELICITING });
}

describe.each(TRANSPORTS)("over $name", ({ era, sends, connect }) => {
  let c: Connection;
  beforeAll(async () => {
    c = await connect();
  });
  afterAll(() => c?.close());

  const call = (name: string, args: Record<string, unknown> = {}) =>
    c.client.callTool({ name, arguments: args });

  it("negotiates the era it should", () => {
    const version = c.client.getNegotiatedProtocolVersion();
    if (era === "modern") expect(version).toBe(MODERN);
    else expect(version).not.toBe(MODERN);
  });

  it("lists every granted tool", async () => {
    const { tools } = await c.client.listTools();
    expect(tools).toHaveLength(22);
    expect(tools.map((t) => t.name)).toContain("send_notification");
  });

  it("reads a known student, as the platform has it", async () => {
    const known = sandbox.records<StoredRecord & { full_name: string }>(42, "students")[6]!;
    const result = await call("get_student", { id: known.id });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(structured<{ data: { full_name: string } }>(result).data.full_name).toBe(known.full_name);
  });

  it("creates once, and an identical repeat says replayed", async () => {
    const full_name = `Contract ${randomUUID().slice(0, 8)}`;
    const first = await call("create_student", { full_name });
    expect(structured<{ outcome: string }>(first).outcome, textOf(first)).toBe("created");
    const again = await call("create_student", { full_name });
    expect(structured<{ outcome: string }>(again).outcome, textOf(again)).toBe("replayed");
    expect(
      sandbox.records<{ full_name: string }>(42, "students").filter((s) => s.full_name === full_name),
    ).toHaveLength(1);
  });

  it("filters the platform lacks, with the true total", async () => {
    const section = sandbox.records<StoredRecord & { section_id?: number }>(42, "students")[0]!.section_id!;
    const expected = sandbox
      .records<{ section_id?: number }>(42, "students")
      .filter((s) => s.section_id === section);
    const result = await call("list_students", { section_id: section, count_only: true });
    expect(structured<{ total: number }>(result).total, textOf(result)).toBe(expected.length);
  });

  it("refuses bad input by name before any request", async () => {
    const result = await call("create_student", {});
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/full_name: Required/);
  });

  it("reads a record resource and says not found with the URI", async () => {
    const known = sandbox.records<StoredRecord & { full_name: string }>(42, "students")[3]!;
    const { contents } = await c.client.readResource({ uri: `okta://students/${known.id}` });
    expect(JSON.parse((contents[0] as { text: string }).text).full_name).toBe(known.full_name);
    const error = await c.client.readResource({ uri: "okta://students/999999" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe(ProtocolErrorCode.InvalidParams);
    expect((error as ProtocolError).data).toEqual({ uri: "okta://students/999999" });
  });

  it("completes a record id from a name and renders a prompt", async () => {
    const known = sandbox.records<StoredRecord & { full_name: string }>(42, "students")[9]!;
    const family = known.full_name.split(" ").at(-1)!;
    const { completion } = await c.client.complete({
      ref: { type: "ref/resource", uri: "okta://students/{id}" },
      argument: { name: "id", value: family },
    });
    expect(completion.values).toContain(String(known.id));
    const prompt = await c.client.getPrompt({
      name: "contact_guardian",
      arguments: { student: known.full_name },
    });
    expect(JSON.stringify(prompt.messages)).toContain(known.full_name);
  });

  it("confirms a send with the human: yes sends once, no sends nothing (or refuses where nobody can be asked)", async () => {
    const guardian = sandbox.records<{ phone: string; full_name: string }>(42, "guardians")[5]!;
    const texts = (message: string) =>
      sandbox.records(42, "notifications").filter((n) => n.message === message);
    const yes = `Contract yes ${randomUUID().slice(0, 8)}`;
    const no = `Contract no ${randomUUID().slice(0, 8)}`;
    asked.length = 0;
    answer = "accept";
    const sent = await call("send_notification", { to: guardian.phone, message: yes });
    answer = "decline";
    const declined = await call("send_notification", { to: guardian.phone, message: no });
    answer = "accept";
    if (sends === "asked") {
      expect(sent.isError, textOf(sent)).toBeFalsy();
      expect(structured<{ outcome: string }>(sent).outcome).toBe("sent");
      expect(texts(yes)).toHaveLength(1);
      expect(asked[0]).toContain(guardian.full_name);
      expect(declined.isError).toBe(true);
      expect(textOf(declined)).toMatch(/declined/);
      expect(asked).toHaveLength(2);
    } else {
      expect(sent.isError).toBe(true);
      expect(textOf(sent)).toMatch(/without sessions/);
      expect(texts(yes)).toHaveLength(0);
      expect(asked).toHaveLength(0);
    }
    expect(texts(no)).toHaveLength(0);
  });
});
