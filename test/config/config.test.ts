import { expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config/config.ts";

it("applies defaults to an empty environment", () => {
  const config = parseConfig({});
  expect(config.PUBLIC_PORT).toBe(4433);
  expect(config.ADMIN_PORT).toBe(4434);
  expect(config.DATABASE_URL).toBe("postgres://postgres@127.0.0.1:5432/registrar");
  expect(config.REGISTRAR_ENV).toBe("development");
});

it.each([
  ["PUBLIC_PORT", "70000"],
  ["DATABASE_URL", "not a url"],
  ["MASTER_KEY", "c2hvcnQ="],
  ["REGISTRAR_ENV", "staging"],
  ["RUN_PROJECTIONS", "maybe"],
  ["DATABASE_STATEMENT_TIMEOUT_MS", "5"],
])("names %s when its value is invalid", (key, value) => {
  expect(() => parseConfig({ [key]: value })).toThrow(ConfigError);
  expect(() => parseConfig({ [key]: value })).toThrow(new RegExp(`^invalid configuration: ${key}`));
});
