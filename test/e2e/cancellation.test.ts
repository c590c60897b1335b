/**
 * A cancelled call is cancelled at the platform too: the client's `notifications/cancelled`
 * (sent by the SDK's Client when its signal fires) aborts the request in flight upstream, so the
 * platform sees the caller hang up instead of an answer nobody reads. Real Client, real sandbox.
 */
import { describe, expect, it } from "vitest";
import { connectInProcess, sandboxServer } from "../helpers.js";
import { waitFor } from "./http-harness.js";

describe("cancellation reaches the platform", () => {
  const served = sandboxServer(connectInProcess);

  it("a read cancelled while the platform is slow is abandoned upstream, not waited for", async () => {
    served.sandbox.injectFaults({ kind: "delay", delayMs: 1_500, match: { tool: "get_student" } });
    const controller = new AbortController();
    const call = served.mcp.client.callTool(
      { name: "get_student", arguments: { id: 3 } },
      { signal: controller.signal },
    );
    // Cancelled once the request is at the platform (its fault taken), long before the answer.
    await waitFor(() => served.sandbox.faultsPending === 0, 5_000, "the request to reach the sandbox");
    controller.abort();
    await expect(call).rejects.toThrow();
    await waitFor(
      () => served.sandbox.requests.some((r) => r.tool === "get_student"),
      5_000,
      "the sandbox to finish the request",
    );
    const entry = served.sandbox.requests.find((r) => r.tool === "get_student");
    expect(entry?.abandoned).toBe(true);
  });

  it("an uncancelled slow read is answered, not abandoned", async () => {
    served.sandbox.clearRequests();
    served.sandbox.injectFaults({ kind: "delay", delayMs: 300, match: { tool: "get_student" } });
    const result = await served.mcp.client.callTool({ name: "get_student", arguments: { id: 3 } });
    expect(result.isError).toBeFalsy();
    expect(served.sandbox.requests.find((r) => r.tool === "get_student")?.abandoned).toBeUndefined();
  });
});
