/**
 * Every answer about a write is true: what the tool says happened is what happened at the
 * platform. Updates always reach the platform; a create says whether this call made the record,
 * found it already there, replayed an earlier success, or completed an earlier unknown outcome.
 * Driven through the real Client against the sandbox; counts read from the sandbox's own store.
 */
import { describe, expect, it } from "vitest";
import { InMemorySharedStore } from "../../src/store/memory.js";
import type { WriteMemoryStore } from "../../src/store/write-memory.js";
import { connectInProcess, sandboxServer, structured, textOf } from "../helpers.js";
import { waitFor } from "./http-harness.js";

interface WriteAnswer {
  data: { id: number } & Record<string, unknown>;
  outcome: "created" | "existing" | "replayed" | "completed" | "updated" | "sent";
}

describe("write outcomes are facts", () => {
  const served = sandboxServer(connectInProcess);

  const call = (name: string, args: Record<string, unknown>) =>
    served.mcp.client.callTool({ name, arguments: args });
  const writes = () => served.sandbox.requests.filter((r) => r.method === "POST" || r.method === "PATCH");
  const named = (collection: "students" | "subjects" | "employees", field: string, value: string) =>
    served.sandbox.records<Record<string, unknown>>(42, collection).filter((r) => r[field] === value);

  it("A -> B -> A on a guardian: every update reaches the platform and the record ends at A", async () => {
    const guardian = served.sandbox.records<{ id: number; relation: string }>(42, "guardians")[0]!;
    const original = guardian.relation;
    const other = original === "other" ? "father" : "other";
    for (const relation of [original, other, original]) {
      const result = await call("update_guardian", { id: guardian.id, relation });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(structured<WriteAnswer>(result).data.relation).toBe(relation);
      expect(structured<WriteAnswer>(result).outcome).toBe("updated");
      expect(textOf(result)).not.toMatch(/replay|nothing new/i);
    }
    expect(writes().map((r) => r.status)).toEqual([200, 200, 200]);
    const stored = served.sandbox
      .records<{ id: number; relation: string }>(42, "guardians")
      .find((g) => g.id === guardian.id);
    expect(stored?.relation).toBe(original);
  });

  it("A -> B -> A on a student's section: read back from the sandbox at A", async () => {
    const student = served.sandbox
      .records<{ id: number; section_id: number; grade_id: number }>(42, "students")
      .find((s) => s.section_id !== undefined)!;
    const sibling = served.sandbox
      .records<{ id: number; grade_id: number }>(42, "sections")
      .find((s) => s.grade_id === student.grade_id && s.id !== student.section_id)!;
    for (const section_id of [sibling.id, student.section_id, sibling.id]) {
      const result = await call("update_student", { id: student.id, section_id });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(structured<WriteAnswer>(result).outcome).toBe("updated");
    }
    expect(writes()).toHaveLength(3);
    const read = await call("get_student", { id: student.id });
    expect(structured<{ data: { section_id: number } }>(read).data.section_id).toBe(sibling.id);
  });

  it("a create whose answer was dropped is reported as made by this call", async () => {
    served.sandbox.injectFaults({ kind: "drop", match: { tool: "create_student" } });
    const result = await call("create_student", { full_name: "Dana Dropped-Answer" });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(structured<WriteAnswer>(result).outcome).toBe("created");
    expect(textOf(result)).not.toMatch(/earlier|nothing new|replay/i);
    expect(textOf(result)).toMatch(/created by this call/i);
    expect(named("students", "full_name", "Dana Dropped-Answer")).toHaveLength(1);
  });

  it("a create whose first call failed (every attempt 503), repeated: completed, one record", async () => {
    const failures = Array.from({ length: 5 }, () => ({
      kind: "503" as const,
      match: { tool: "create_student" },
    }));
    served.sandbox.injectFaults(...failures);
    const first = await call("create_student", { full_name: "Faris Five-503" });
    expect(first.isError).toBe(true);
    expect(textOf(first)).toMatch(/may or may not have been applied/);
    expect(named("students", "full_name", "Faris Five-503")).toHaveLength(0);

    const second = await call("create_student", { full_name: "Faris Five-503" });
    expect(second.isError, textOf(second)).toBeFalsy();
    expect(structured<WriteAnswer>(second).outcome).toBe("completed");
    expect(textOf(second)).not.toMatch(/nothing new was created/i);
    expect(textOf(second)).toMatch(/exactly once/i);
    expect(named("students", "full_name", "Faris Five-503")).toHaveLength(1);
    // The same key carried the second call, so a record made by the first would have been replayed.
    expect(new Set(writes().map((r) => r.idempotencyKey)).size).toBe(1);
  });

  it("an identical create after a success is a replay; a new idempotency_key creates again on purpose", async () => {
    const args = { full_name: "Rana Twice", gender: "female" };
    const first = await call("create_student", args);
    expect(structured<WriteAnswer>(first).outcome).toBe("created");
    const second = await call("create_student", { gender: "female", full_name: "Rana Twice" });
    expect(second.isError, textOf(second)).toBeFalsy();
    expect(structured<WriteAnswer>(second).outcome).toBe("replayed");
    expect(structured<WriteAnswer>(second).data.id).toBe(structured<WriteAnswer>(first).data.id);
    expect(textOf(second)).toMatch(/new idempotency_key/);
    expect(named("students", "full_name", "Rana Twice")).toHaveLength(1);

    const third = await call("create_student", { ...args, idempotency_key: "rana-again-on-purpose" });
    expect(structured<WriteAnswer>(third).outcome).toBe("created");
    expect(named("students", "full_name", "Rana Twice")).toHaveLength(2);
    // The same explicit key again: the platform replays it, and the tool says so.
    const fourth = await call("create_student", { ...args, idempotency_key: "rana-again-on-purpose" });
    expect(structured<WriteAnswer>(fourth).outcome).toBe("replayed");
    expect(named("students", "full_name", "Rana Twice")).toHaveLength(2);
  });

  it("create_subject with an existing code: existing, nothing added", async () => {
    const subject = served.sandbox.records<{ id: number; code: string; name: string }>(42, "subjects")[0]!;
    const before = served.sandbox.records(42, "subjects").length;
    const result = await call("create_subject", { name: "Another Name", code: subject.code });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(structured<WriteAnswer>(result).outcome).toBe("existing");
    expect(structured<WriteAnswer>(result).data.id).toBe(subject.id);
    expect(textOf(result)).toMatch(/already/i);
    expect(textOf(result)).not.toMatch(/done/i);
    expect(served.sandbox.records(42, "subjects").length).toBe(before);
  });

  it("add_employee with an existing email: existing, nothing added", async () => {
    const employee = served.sandbox
      .records<{ id: number; email: string }>(42, "employees")
      .find((e) => e.email)!;
    const before = served.sandbox.records(42, "employees").length;
    const result = await call("add_employee", { full_name: "Someone Else", email: employee.email });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(structured<WriteAnswer>(result).outcome).toBe("existing");
    expect(structured<WriteAnswer>(result).data.id).toBe(employee.id);
    expect(served.sandbox.records(42, "employees").length).toBe(before);
  });

  it("a refused create (422) is forgotten: the corrected identical call is not a replay", async () => {
    // A guardian id that does not exist: 422, nothing stored under the key.
    const refused = await call("create_student", {
      full_name: "Nour Missing-Guardian",
      guardian_id: 987_654,
    });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain("422");
    const keysBefore = writes().map((r) => r.idempotencyKey);
    const again = await call("create_student", { full_name: "Nour Missing-Guardian", guardian_id: 987_654 });
    expect(again.isError).toBe(true);
    // The repeat went with a fresh key: a 422 leaves nothing to replay.
    expect(writes().map((r) => r.idempotencyKey)).toHaveLength(2);
    expect(writes()[1]!.idempotencyKey).not.toBe(keysBefore[0]);
  });

  it("a 409 on the retry of an attempt that timed out keeps the key: the repeat completes, one record", async () => {
    // The first attempt is applied but answers after the client's 10 s attempt timeout; the
    // retry, under the same key while it is still in flight, gets the contract's 409.
    served.sandbox.injectFaults({ kind: "delay", delayMs: 12_000, match: { tool: "create_student" } });
    const first = await call("create_student", { full_name: "Hana Slow-Answer" });
    expect(first.isError).toBe(true);
    expect(textOf(first)).toContain("409");
    // The refused retry is not the end of the first attempt: the text says it may be done.
    expect(textOf(first)).toMatch(/may or may not have been applied/);
    // The platform has applied it and, past its delay, stored its answer under the key.
    await waitFor(() => writes().some((r) => r.status === 201), 20_000, "the slow create's answer");
    expect(named("students", "full_name", "Hana Slow-Answer")).toHaveLength(1);

    const again = await call("create_student", { full_name: "Hana Slow-Answer" });
    expect(again.isError, textOf(again)).toBeFalsy();
    expect(structured<WriteAnswer>(again).outcome).toBe("completed");
    expect(named("students", "full_name", "Hana Slow-Answer")).toHaveLength(1);
    expect(new Set(writes().map((r) => r.idempotencyKey)).size).toBe(1);
  }, 40_000);

  it("two identical creates at once: one record, one says created and the other replayed", async () => {
    const args = { full_name: "Sami Concurrent" };
    const [a, b] = await Promise.all([call("create_student", args), call("create_student", args)]);
    expect(a.isError, textOf(a)).toBeFalsy();
    expect(b.isError, textOf(b)).toBeFalsy();
    const outcomes = [structured<WriteAnswer>(a).outcome, structured<WriteAnswer>(b).outcome].sort();
    expect(outcomes).toEqual(["created", "replayed"]);
    expect(named("students", "full_name", "Sami Concurrent")).toHaveLength(1);
  });
});

describe("a replay this server does not remember", () => {
  // No write memory: only the platform knows the key was used before, not when.
  const served = sandboxServer((sandbox) => connectInProcess(sandbox, {}, {}, { replayWindowMs: 0 }));

  it("is called a replay without claiming when the earlier call was", async () => {
    const args = { full_name: "Omar Unremembered", idempotency_key: "omar-unremembered" };
    const first = await served.mcp.client.callTool({ name: "create_student", arguments: args });
    expect(structured<WriteAnswer>(first).outcome).toBe("created");
    const second = await served.mcp.client.callTool({ name: "create_student", arguments: args });
    expect(second.isError, textOf(second)).toBeFalsy();
    expect(structured<WriteAnswer>(second).outcome).toBe("replayed");
    expect(textOf(second)).toMatch(/already done/i);
    expect(textOf(second)).not.toMatch(/\d+ s ago/);
    expect(
      served.sandbox
        .records<{ full_name: string }>(42, "students")
        .filter((s) => s.full_name === "Omar Unremembered"),
    ).toHaveLength(1);
  });
});

describe("a replay on the bare contract (no Idempotent-Replayed header), not remembered here", () => {
  // The platform's clock, movable: the first create is made an hour in the past.
  let offsetMs = 0;
  const served = sandboxServer((sandbox) => connectInProcess(sandbox, {}, {}, { replayWindowMs: 0 }), {
    replayHeader: false,
    clock: () => Date.now() + offsetMs,
  });
  const call = (name: string, args: Record<string, unknown>) =>
    served.mcp.client.callTool({ name, arguments: args });

  it("a create whose record is older than the call is the earlier call's, not this one's", async () => {
    const args = { full_name: "Hala Hour-Ago", idempotency_key: "hala-hour-ago" };
    offsetMs = -60 * 60_000;
    const first = await call("create_student", args);
    offsetMs = 0;
    expect(structured<WriteAnswer>(first).outcome).toBe("created");
    const second = await call("create_student", args);
    expect(second.isError, textOf(second)).toBeFalsy();
    expect(served.sandbox.requests.at(-1)?.status).toBe(201);
    expect(structured<WriteAnswer>(second).outcome).toBe("replayed");
    expect(textOf(second)).not.toMatch(/created by this call/i);
    expect(textOf(second)).toContain(String(structured<WriteAnswer>(first).data.created_at));
    expect(
      served.sandbox
        .records<{ full_name: string }>(42, "students")
        .filter((s) => s.full_name === "Hala Hour-Ago"),
    ).toHaveLength(1);
  });

  it("create_subject with an existing code under the caller's own key: existing, not an earlier call's", async () => {
    // The contract's 200 for an existing code: the record is old, but no identical call made it.
    const subject = served.sandbox.records<{ id: number; code: string }>(42, "subjects")[0]!;
    const result = await call("create_subject", {
      name: "Another Name",
      code: subject.code,
      idempotency_key: "subject-existing-code",
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(served.sandbox.requests.at(-1)?.status).toBe(200);
    expect(structured<WriteAnswer>(result).outcome).toBe("existing");
    expect(textOf(result)).not.toMatch(/identical create_subject succeeded/);
  });

  it("a record made 20 s before a quick call is not the call's either", async () => {
    const args = { full_name: "Sami Seconds-Ago", idempotency_key: "sami-seconds-ago" };
    offsetMs = -20_000;
    const first = await call("create_student", args);
    offsetMs = 0;
    expect(structured<WriteAnswer>(first).outcome).toBe("created");
    const second = await call("create_student", args);
    expect(structured<WriteAnswer>(second).outcome).toBe("replayed");
    expect(textOf(second)).not.toMatch(/created by this call/i);
  });

  it("a fresh create with the caller's own key is this call's", async () => {
    const result = await call("create_student", {
      full_name: "Nadia New-Key",
      idempotency_key: "nadia-new-key",
    });
    expect(structured<WriteAnswer>(result).outcome).toBe("created");
    expect(textOf(result)).toMatch(/created by this call/i);
  });

  it("an update under the caller's own key does not claim it: a key used before replays its answer", async () => {
    const guardians = () => served.sandbox.records<{ id: number; relation: string }>(42, "guardians");
    const guardian = guardians()[1]!;
    const original = guardian.relation;
    const other = original === "other" ? "father" : "other";
    const toOther = { id: guardian.id, relation: other, idempotency_key: "guardian-relation-1" };
    await call("update_guardian", toOther);
    await call("update_guardian", {
      id: guardian.id,
      relation: original,
      idempotency_key: "guardian-relation-2",
    });
    const again = await call("update_guardian", toOther);
    expect(again.isError, textOf(again)).toBeFalsy();
    // The platform answered with the first call's stored answer and changed nothing: the record
    // stays where the second update left it.
    expect(guardians().find((g) => g.id === guardian.id)?.relation).toBe(original);
    expect(textOf(again)).not.toMatch(/^Updated by this call/);
    expect(textOf(again)).toMatch(/guardian-relation-1/);
  });

  it("a send with the caller's own key, unknown here, says what a repeat key would mean", async () => {
    const args = {
      to: "+966500000001",
      message: "Reminder: school trip",
      idempotency_key: "trip-reminder-1",
    };
    const first = await call("send_notification", args);
    expect(first.isError, textOf(first)).toBeFalsy();
    const second = await call("send_notification", args);
    expect(second.isError, textOf(second)).toBeFalsy();
    expect(
      served.sandbox.records(42, "notifications").filter((n) => n.message === args.message),
    ).toHaveLength(1);
    // Nothing in the answer tells a replay apart: the text must not claim this call sent it.
    expect(textOf(second)).not.toMatch(/^Sent by this call/);
    expect(textOf(second)).toMatch(/trip-reminder-1/);
    expect(textOf(second)).toMatch(/earlier/i);
  });
});

describe("a repeat not asked again goes out under the first call's key", () => {
  // The memory lets the entry go right after the confirmation step looked (its window ending in
  // between): the repeat, already let through unasked, must still not become a new send.
  const memory = new InMemorySharedStore();
  let expireAfterNextRead = false;
  const expiring: WriteMemoryStore = {
    get: async (fingerprint) => {
      const value = await memory.get(fingerprint);
      if (expireAfterNextRead && value !== undefined) {
        expireAfterNextRead = false;
        await memory.forget(fingerprint);
      }
      return value;
    },
    setIfAbsent: (fingerprint, value, ttlMs) => memory.setIfAbsent(fingerprint, value, ttlMs),
    replaceIf: (fingerprint, expected, value, ttlMs) => memory.replaceIf(fingerprint, expected, value, ttlMs),
    deleteIf: (fingerprint, expected) => memory.deleteIf(fingerprint, expected),
  };
  const served = sandboxServer((sandbox) =>
    connectInProcess(sandbox, {}, { elicitation: {} }, { writeStore: expiring }),
  );

  it("one message, however the memory changed between the look and the send", async () => {
    let asked = 0;
    served.mcp.client.setRequestHandler("elicitation/create", async () => {
      asked++;
      return { action: "accept", content: { confirm: true } };
    });
    const args = { to: "+966500000002", message: "Uniform day is Monday." };
    const first = await served.mcp.client.callTool({ name: "send_notification", arguments: args });
    expect(first.isError, textOf(first)).toBeFalsy();
    expireAfterNextRead = true;
    const again = await served.mcp.client.callTool({ name: "send_notification", arguments: args });
    expect(again.isError, textOf(again)).toBeFalsy();
    expect(asked).toBe(1);
    expect(
      served.sandbox.records(42, "notifications").filter((n) => n.message === args.message),
    ).toHaveLength(1);
    expect(structured<WriteAnswer>(again).outcome).toBe("replayed");
  });
});
