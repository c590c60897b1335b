/** Create and update semantics, the idempotent creates, and sending notifications. */
import { describe, expect, it } from "vitest";
import { useSandbox } from "./helpers.js";

describe("writes", () => {
  const start = useSandbox();

  it("create answers 201 with a new id and timestamps; update 200 changing only what was given", async () => {
    const { sandbox, call } = await start();
    const created = await call("/education/guardians", {
      json: { full_name: "  Amal Saleh  ", phone: "+966551112233", relation: "mother" },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({
      full_name: "Amal Saleh",
      phone: "+966551112233",
      relation: "mother",
    });
    expect(created.body.data.id).toBeGreaterThan(
      Math.max(
        ...sandbox
          .records(42, "guardians")
          .slice(0, -1)
          .map((g) => g.id),
      ),
    );
    expect(created.body.data.created_at).toMatch(/\+03:00$/);
    const updated = await call(`/education/guardians/${created.body.data.id}`, {
      method: "PATCH",
      json: { email: "amal.saleh@example.com" },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.data).toMatchObject({ full_name: "Amal Saleh", email: "amal.saleh@example.com" });
    const fetched = await call(`/education/guardians/${created.body.data.id}`);
    expect(fetched.body.data).toEqual(updated.body.data);
  });

  it("ids keep increasing per collection", async () => {
    const { call } = await start();
    const a = await call("/education/subjects", { json: { name: "A", code: "A-1" } });
    const b = await call("/education/subjects", { json: { name: "B", code: "B-1" } });
    expect(b.body.data.id).toBe(a.body.data.id + 1);
  });

  it("create_subject is idempotent by code: 200 with the existing subject", async () => {
    const { sandbox, call } = await start();
    const existing = sandbox.records(42, "subjects").find((s) => s.code === "MATH")!;
    const again = await call("/education/subjects", { json: { name: "Maths again", code: "math" } });
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(existing);
    expect(
      sandbox.records(42, "subjects").filter((s) => String(s.code).toUpperCase() === "MATH"),
    ).toHaveLength(1);
  });

  it("add_employee is idempotent by email: 200 with the existing employee", async () => {
    const { sandbox, call } = await start();
    const existing = sandbox.records(42, "employees")[0]!;
    const again = await call("/employees/directory", {
      json: { full_name: "Someone Else", email: String(existing.email).toUpperCase() },
    });
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(existing);
    const fresh = await call("/employees/directory", { json: { full_name: "No Email Yet" } });
    expect(fresh.status).toBe(201);
  });
});

describe("notifications", () => {
  const start = useSandbox();

  it("capabilities: sms, whatsapp, email; sms by default; 640 characters", async () => {
    const { call } = await start();
    const response = await call("/notifications/capabilities");
    expect(response.body).toEqual({
      data: { channels: ["sms", "whatsapp", "email"], default_channel: "sms", max_length: 640 },
    });
  });

  it("send answers 202 queued with a uuid, and the message is kept", async () => {
    const { sandbox, call } = await start();
    const response = await call("/notifications/send", {
      json: { to: "+966501234567", message: "Reminder: parents' evening on Thursday.", channel: "whatsapp" },
    });
    expect(response.status).toBe(202);
    expect(response.body.data).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: "queued",
      channel: "whatsapp",
      to: "+966501234567",
    });
    const byUserId = await call("/notifications/send", { json: { to: "1204", message: "Hello" } });
    expect(byUserId.body.data.channel).toBe("sms");
    const sent = sandbox.records(42, "notifications");
    expect(sent.map((n) => n.message)).toEqual(["Reminder: parents' evening on Thursday.", "Hello"]);
  });

  it.each([
    [{ to: "0501234567", message: "Hi" }, "to"],
    [{ to: "+12", message: "Hi" }, "to"],
    [{ to: "someone@example.com", message: "Hi" }, "to"],
    [{ to: "+966501234567", message: "x".repeat(641) }, "message"],
    [{ to: "+966501234567", message: "Hi", channel: "pager" }, "channel"],
    [{ to: "+966501234567" }, "message"],
    [{ to: "+966501234567", message: "" }, "message"],
  ])("send %j is 422 on %s", async (body, field) => {
    const { sandbox, call } = await start();
    const response = await call("/notifications/send", { json: body });
    expect(response.status).toBe(422);
    expect(Object.keys(response.body.errors)).toEqual([field]);
    expect(sandbox.records(42, "notifications")).toEqual([]);
  });

  it("640 characters is fine; an emoji counts as one", async () => {
    const { call } = await start();
    expect(
      (await call("/notifications/send", { json: { to: "+966501234567", message: "😀".repeat(640) } }))
        .status,
    ).toBe(202);
  });
});
