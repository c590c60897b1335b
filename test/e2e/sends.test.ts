/**
 * Sends are confirmed on every transport, end to end over HTTP against the sandbox: with sessions,
 * the confirmation travels on the tools/call request's own stream (the client here opens no
 * standalone GET stream), names the recipient, the channel and the text, and waits a bounded time;
 * without sessions nobody can be asked, so a send is refused unless the operator chose otherwise.
 */
import type { Client, ElicitRequest, ElicitResult } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Installation } from "../../src/installation.js";
import { ALL_SCOPES } from "../../src/platform/scopes.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import type { ServerOptions } from "../../src/server.js";
import type { HttpServerHandle } from "../../src/transport/http.js";
import { sandboxWith, textOf } from "../helpers.js";
import {
  capturingLogger,
  connectStreamable,
  installationFor,
  KEY_A,
  KEY_B,
  startServer,
  tenant,
} from "./http-harness.js";

const TENANT = 42;
/** A second school whose grant can send but not read guardians. */
const SEND_ONLY_TENANT = 9;

let sandbox: Sandbox;
let north: Installation;
let sendOnly: Installation;
let guardian: { id: number; full_name: string; phone: string };

beforeAll(async () => {
  sandbox = await sandboxWith({
    installations: [
      { token: "sbx_sends_north_0001", scopes: ALL_SCOPES, tenantId: TENANT },
      { token: "sbx_sends_only_0002", scopes: ["notifications.providers.send"], tenantId: SEND_ONLY_TENANT },
    ],
  });
  north = await installationFor(sandbox.baseUrl, "sbx_sends_north_0001", "north");
  sendOnly = await installationFor(sandbox.baseUrl, "sbx_sends_only_0002", "send-only");
  guardian = sandbox.records<{ id: number; full_name: string; phone: string }>(TENANT, "guardians")[3]!;
});
afterAll(async () => {
  await north?.close();
  await sendOnly?.close();
  await sandbox?.stop();
});

/** Messages the platform holds for a tenant with this text: what really reached it. */
const sent = (message: string, tenantId = TENANT) =>
  sandbox.records(tenantId, "notifications").filter((n) => n.message === message);

const ELICITING = { elicitation: {} };

/** A client that can elicit but opens no standalone stream, answering every confirmation with `answer`. */
async function askingClient(
  server: HttpServerHandle,
  answer: (request: ElicitRequest) => Promise<ElicitResult>,
  key = KEY_A,
): Promise<{ client: Client; asked: string[] }> {
  const client = await connectStreamable(server, key, { capabilities: ELICITING, noStandaloneStream: true });
  const asked: string[] = [];
  client.setRequestHandler("elicitation/create", async (request) => {
    asked.push(request.params.message);
    return answer(request);
  });
  return { client, asked };
}

const accept = async (): Promise<ElicitResult> => ({ action: "accept", content: { confirm: true } });
const decline = async (): Promise<ElicitResult> => ({ action: "decline" });

describe("with sessions: asked on the request's own stream", () => {
  let server: HttpServerHandle;
  const options: ServerOptions = { confirm: ["create_subject"], confirmTimeoutMs: 400 };
  beforeAll(async () => {
    server = await startServer({ tenants: [tenant(north, KEY_A), tenant(sendOnly, KEY_B)] }, { options });
  });
  afterAll(() => server?.close());

  it("declined: nothing reaches the platform", async () => {
    const { client, asked } = await askingClient(server, decline);
    try {
      const message = "Declined over HTTP";
      const result = await client.callTool({
        name: "send_notification",
        arguments: { to: guardian.phone, message },
      });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain("declined");
      expect(asked).toHaveLength(1);
      expect(sent(message)).toHaveLength(0);
    } finally {
      await client.close();
    }
  });

  it("accepted: exactly one message, after a confirmation naming the guardian, the channel and the text", async () => {
    const { client, asked } = await askingClient(server, accept);
    try {
      const message = "Parents' evening moved to Thursday, 6 pm.";
      const result = await client.callTool({
        name: "send_notification",
        arguments: { to: guardian.phone, message },
      });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(sent(message)).toHaveLength(1);
      expect(asked).toHaveLength(1);
      expect(asked[0]).toContain(guardian.full_name);
      expect(asked[0]).toContain(guardian.phone);
      expect(asked[0]).toContain("SMS (the default channel)");
      expect(asked[0]).toContain(message);
      expect(asked[0]).not.toMatch(/[{}]/);
    } finally {
      await client.close();
    }
  });

  it("an identical send already made is not asked again: nothing new goes out, and the answer says so", async () => {
    const { client, asked } = await askingClient(server, accept);
    try {
      const message = "Trip forms due Friday.";
      const args = { to: guardian.phone, message };
      const first = await client.callTool({ name: "send_notification", arguments: args });
      expect(first.isError, textOf(first)).toBeFalsy();
      // Asking again would put a question whose "no" cannot unsend the first message.
      const again = await client.callTool({ name: "send_notification", arguments: args });
      expect(again.isError, textOf(again)).toBeFalsy();
      expect(asked).toHaveLength(1);
      expect(textOf(again)).toMatch(/already done/i);
      expect(textOf(again)).toMatch(/nothing new was sent/i);
      expect(sent(message)).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it("what the human confirms is what is sent: hidden characters never travel to a guardian", async () => {
    const { client, asked } = await askingClient(server, accept);
    try {
      const visible = "Bus leaves at 8 ❤️";
      // Tag characters spell an instruction only a machine reads; a zero-width space hides in a word.
      const hidden = `Bus lea\u200bves at 8 ❤️${[..."call me"].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join("")}`;
      const result = await client.callTool({
        name: "send_notification",
        arguments: { to: guardian.phone, message: hidden },
      });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(asked[0]).toContain(visible);
      expect(sent(visible)).toHaveLength(1);
      expect(sent(hidden)).toHaveLength(0);
    } finally {
      await client.close();
    }
  });

  it("a user id names its guardian too, and a given channel is named", async () => {
    const { client, asked } = await askingClient(server, accept);
    try {
      const message = "Report cards are ready.";
      const result = await client.callTool({
        name: "send_notification",
        arguments: { to: String(guardian.id), message, channel: "whatsapp" },
      });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(asked[0]).toContain(guardian.full_name);
      expect(asked[0]).toContain("WhatsApp");
      expect(sent(message)).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it("without the guardians scope, the raw recipient is shown and the send still works", async () => {
    const { client, asked } = await askingClient(server, accept, KEY_B);
    try {
      const message = "School closes early today.";
      const result = await client.callTool({
        name: "send_notification",
        arguments: { to: "+966500000001", message },
      });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(asked[0]).toContain("+966500000001");
      expect(asked[0]).toContain(message);
      expect(sent(message, SEND_ONLY_TENANT)).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it("no answer: a bounded wait, a clear error, nothing sent", async () => {
    const { client, asked } = await askingClient(server, () => new Promise<ElicitResult>(() => {}));
    try {
      const message = "Nobody answered this one";
      const result = await client.callTool({
        name: "send_notification",
        arguments: { to: guardian.phone, message },
      });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain("No answer to the confirmation");
      expect(textOf(result)).toContain("nothing was sent");
      expect(asked).toHaveLength(1);
      expect(sent(message)).toHaveLength(0);
    } finally {
      await client.close();
    }
  });

  it("--confirm writes are described as field: value lines", async () => {
    const { client, asked } = await askingClient(server, decline);
    try {
      const result = await client.callTool({
        name: "create_subject",
        arguments: { name: "Latin", code: "LAT-HTTP" },
      });
      expect(result.isError).toBe(true);
      expect(asked[0]).toContain("name: Latin\ncode: LAT-HTTP");
      expect(asked[0]).not.toMatch(/[{}"]/);
      expect(sandbox.records<{ code: string }>(TENANT, "subjects").some((s) => s.code === "LAT-HTTP")).toBe(
        false,
      );
    } finally {
      await client.close();
    }
  });

  it("a client that cannot elicit keeps the host's own approval: the send goes ahead", async () => {
    const client = await connectStreamable(server, KEY_A, { noStandaloneStream: true });
    try {
      const message = "Approved in the host";
      const result = await client.callTool({
        name: "send_notification",
        arguments: { to: guardian.phone, message },
      });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(sent(message)).toHaveLength(1);
    } finally {
      await client.close();
    }
  });
});

describe("without sessions (--stateless): nobody can be asked", () => {
  it("refuses a send, saying why and what the operator can do; nothing reaches the platform", async () => {
    const server = await startServer(
      { installation: north, apiKey: KEY_A },
      { stateless: true, options: { confirm: ["create_subject"] } },
    );
    const client = await connectStreamable(server, KEY_A, { capabilities: ELICITING });
    try {
      const message = "Stateless, never asked";
      const before = sandbox.requests.filter((r) => r.tool === "send_notification").length;
      const result = await client.callTool({
        name: "send_notification",
        arguments: { to: guardian.phone, message },
      });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain("without sessions");
      expect(textOf(result)).toContain("--allow-unconfirmed-sends");
      expect(sent(message)).toHaveLength(0);
      expect(sandbox.requests.filter((r) => r.tool === "send_notification").length).toBe(before);
      const write = await client.callTool({
        name: "create_subject",
        arguments: { name: "Greek", code: "GRK-STATELESS" },
      });
      expect(write.isError).toBe(true);
      expect(textOf(write)).toContain("--confirm");
      expect(
        sandbox.records<{ code: string }>(TENANT, "subjects").some((s) => s.code === "GRK-STATELESS"),
      ).toBe(false);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("with --allow-unconfirmed-sends: sent once, with a warning at start and on the send", async () => {
    const log = capturingLogger();
    const server = await startServer(
      { installation: north, apiKey: KEY_A },
      { stateless: true, logger: log.logger, options: { allowUnconfirmedSends: true } },
    );
    const client = await connectStreamable(server, KEY_A);
    try {
      const warnings = () =>
        log.lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40);
      expect(warnings().some((w) => w.msg.includes("without confirmation"))).toBe(true);
      const atStart = warnings().length;
      const message = "Stateless, allowed by the operator";
      const result = await client.callTool({
        name: "send_notification",
        arguments: { to: guardian.phone, message },
      });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(sent(message)).toHaveLength(1);
      expect(
        warnings()
          .slice(atStart)
          .some((w) => w.msg.includes("unconfirmed")),
      ).toBe(true);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
