import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The machine has 2 cores; end-to-end suites spawn servers, so keep parallelism modest.
    maxWorkers: 2,
  },
});
