/** The check a listen request passes before the SDK sees it (pure). */
import type { JSONRPCRequest } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { listenRefusalResponse } from "../../src/resources/listen.js";

const listen = (notifications: unknown, id = 7): JSONRPCRequest =>
  ({ jsonrpc: "2.0", id, method: "subscriptions/listen", params: { notifications } }) as JSONRPCRequest;
const refuseOdd = (uri: string) => (uri.endsWith("1") ? new Error(`no ${uri}`) : undefined);

describe("listenRefusalResponse", () => {
  it("answers the first refused URI as -32602 for the request's id", () => {
    expect(
      listenRefusalResponse(
        listen({ resourceSubscriptions: ["okta://students/2", "okta://students/1"] }),
        refuseOdd,
      ),
    ).toEqual({ jsonrpc: "2.0", id: 7, error: { code: -32602, message: "no okta://students/1" } });
  });

  it("refuses URIs that are not strings instead of letting them be dropped silently", () => {
    const res = listenRefusalResponse(listen({ resourceSubscriptions: ["okta://whoami", 5] }), refuseOdd);
    expect(res?.error.message).toMatch(/must be an array of resource URIs/);
    expect(
      listenRefusalResponse(listen({ resourceSubscriptions: "okta://whoami" }), refuseOdd)?.error.code,
    ).toBe(-32602);
  });

  it("lets through a listen with acceptable URIs or none, and any other message", () => {
    expect(
      listenRefusalResponse(listen({ resourceSubscriptions: ["okta://students/2"] }), refuseOdd),
    ).toBeUndefined();
    expect(listenRefusalResponse(listen({ toolsListChanged: true }), refuseOdd)).toBeUndefined();
    const call = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x1" } } as JSONRPCRequest;
    expect(listenRefusalResponse(call, () => new Error("never asked"))).toBeUndefined();
  });
});
