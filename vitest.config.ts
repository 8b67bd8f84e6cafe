import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: more forks only queue behind each other and stretch timing-sensitive tests.
    maxWorkers: 2,
    pool: "forks",
  },
});
