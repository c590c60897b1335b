/** The pure parts of confirmations: who can be asked, and what a person reads. */
import { describe, expect, it } from "vitest";
import { endpointOf } from "../../src/platform/catalog.js";
import {
  canElicitForm,
  confirmationPlan,
  describeChannel,
  describeRecipient,
  fieldLines,
} from "../../src/tools/confirmation.js";

describe("canElicitForm", () => {
  it("form declared, or a bare elicitation (the rule from before modes); not URL-only, not none", () => {
    expect(canElicitForm({ elicitation: { form: {} } })).toBe(true);
    expect(canElicitForm({ elicitation: {} })).toBe(true);
    expect(canElicitForm({ elicitation: { form: {}, url: {} } })).toBe(true);
    expect(canElicitForm({ elicitation: { url: {} } })).toBe(false);
    expect(canElicitForm({})).toBe(false);
    expect(canElicitForm(undefined)).toBe(false);
  });
});

describe("confirmationPlan", () => {
  const send = endpointOf("send_notification")!;
  const create = endpointOf("create_subject")!;
  const read = endpointOf("list_students")!;
  const plan = (endpoint = send, facts: Partial<Parameters<typeof confirmationPlan>[0]> = {}) =>
    confirmationPlan({
      endpoint,
      confirm: [],
      sessionless: false,
      allowUnconfirmedSends: false,
      clientCanElicit: true,
      modern: false,
      ...facts,
    });

  it("asks before a send when the client can elicit, else leaves it to the host's approval", () => {
    expect(plan()).toBe("ask");
    expect(plan(send, { clientCanElicit: false })).toBe("host-approval");
  });
  it("without sessions, refuses unless the operator allowed unconfirmed sends (sends only)", () => {
    expect(plan(send, { sessionless: true })).toBe("refuse");
    expect(plan(send, { sessionless: true, allowUnconfirmedSends: true })).toBe("unconfirmed");
    expect(
      plan(create, { sessionless: true, confirm: ["create_subject"], allowUnconfirmedSends: true }),
    ).toBe("refuse");
  });
  it("2026-07-28 asks without a session (the answer comes back with the call itself)", () => {
    expect(plan(send, { sessionless: true, modern: true })).toBe("ask");
    expect(plan(create, { sessionless: true, modern: true, confirm: ["create_subject"] })).toBe("ask");
    expect(plan(send, { sessionless: true, modern: true, clientCanElicit: false })).toBe("host-approval");
  });
  it("other tools are confirmed only when listed", () => {
    expect(plan(create)).toBe("none");
    expect(plan(create, { confirm: ["create_subject"] })).toBe("ask");
    expect(plan(read, { sessionless: true })).toBe("none");
  });
});

describe("what a person reads", () => {
  it("names the recipient, the guardian when one matched", () => {
    expect(describeRecipient("+966501234567", [])).toBe("+966501234567");
    expect(describeRecipient("12", ["Fatima Al-Harbi"])).toBe("Fatima Al-Harbi (guardian, user id 12)");
    expect(describeRecipient("+966501234567", ["A B", "C D"])).toBe(
      "+966501234567 (the phone of guardians A B and C D)",
    );
  });
  it("names the channel, the default one when none is given", () => {
    expect(describeChannel("whatsapp", "sms")).toBe("WhatsApp");
    expect(describeChannel(undefined, "sms")).toBe("SMS (the default channel)");
    expect(describeChannel(undefined, undefined)).toBe("the default channel");
  });
  it("lists a write's fields as lines, nested ones by dotted name", () => {
    expect(fieldLines({ key: "attendance", params: { section_id: 3, tags: ["a", "b"] } })).toEqual([
      "key: attendance",
      "params.section_id: 3",
      "params.tags: a, b",
    ]);
  });
});
