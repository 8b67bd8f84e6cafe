import type { Identity, Session } from "@ory/client";
import { describe, expect, test } from "vitest";
import { identitySchemaUrl, identityToJson } from "../../../src/http/kratos/identity-json.ts";
import { sessionToJson } from "../../../src/http/kratos/session-json.ts";
import { aal2Session, bareIdentity, fullIdentity, PUBLIC_BASE_URL } from "./fixtures.ts";
import { describeErrors, loadKratosSchemas } from "./openapi-schemas.ts";

const schema = loadKratosSchemas();

function expectValid(name: string, value: unknown): void {
  const validate = schema(name);
  expect(validate(value), describeErrors(validate)).toBe(true);
}

describe("identitySchemaUrl", () => {
  test("encodes default as ZGVmYXVsdA", () => {
    expect(identitySchemaUrl(PUBLIC_BASE_URL, "default")).toBe(
      "https://auth.example.com/schemas/ZGVmYXVsdA",
    );
  });

  test("drops padding and uses url alphabet", () => {
    // "a?>" is 0x61 0x3f 0x3e, which standard base64 writes as "YT8+".
    expect(identitySchemaUrl("https://auth.example.com/", "a?>")).toBe(
      "https://auth.example.com/schemas/YT8-",
    );
    expect(identitySchemaUrl(PUBLIC_BASE_URL, "ab")).toBe("https://auth.example.com/schemas/YWI");
  });
});

describe("identityToJson", () => {
  test("public audience omits admin fields", () => {
    const json = identityToJson(fullIdentity(), {
      publicBaseUrl: PUBLIC_BASE_URL,
      audience: "public",
    });

    expectValid("identity", json);
    expect(json).not.toHaveProperty("credentials");
    expect(json).not.toHaveProperty("metadata_admin");
    expect(json.metadata_public).toEqual({ plan: "free" });
    expect(json.schema_url).toBe("https://auth.example.com/schemas/ZGVmYXVsdA");
    expect(json.state_changed_at).toBe("2025-12-31T09:00:00.000Z");
    expect(json.external_id).toBe("crm-4711");
    expect(json.organization_id).toBeNull();
  });

  test("admin audience lists credentials without config", () => {
    const json = identityToJson(fullIdentity(), {
      publicBaseUrl: PUBLIC_BASE_URL,
      audience: "admin",
    });

    expectValid("identity", json);
    expect(json.metadata_admin).toEqual({ note: "imported" });
    expect(Object.keys(json.credentials ?? {})).toEqual(["password", "totp"]);
    expect(json.credentials?.password).toEqual({
      type: "password",
      identifiers: ["ada@example.com"],
      version: 0,
      created_at: "2025-12-31T09:00:00.000Z",
      updated_at: "2025-12-31T09:00:00.000Z",
    });
    expect(json.credentials?.totp).not.toHaveProperty("config");
  });

  test("admin audience includes requested config", () => {
    const json = identityToJson(fullIdentity(), {
      publicBaseUrl: PUBLIC_BASE_URL,
      audience: "admin",
      includeCredentialConfig: ["totp"],
    });

    expectValid("identity", json);
    expect(json.credentials?.totp?.config).toEqual({
      totp_url: "otpauth://totp/Example:ada?secret=JBSWY3DPEHPK3PXP",
    });
    expect(json.credentials?.password).not.toHaveProperty("config");
  });

  test("public audience ignores requested config", () => {
    const json = identityToJson(fullIdentity(), {
      publicBaseUrl: PUBLIC_BASE_URL,
      audience: "public",
      includeCredentialConfig: ["password"],
    });

    expect(json).not.toHaveProperty("credentials");
  });

  test("renders verifiable addresses", () => {
    const json = identityToJson(fullIdentity(), {
      publicBaseUrl: PUBLIC_BASE_URL,
      audience: "public",
    });

    expect(json.verifiable_addresses[0]).toEqual({
      id: "1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
      value: "ada@example.com",
      verified: true,
      via: "email",
      status: "completed",
      verified_at: "2025-12-31T09:05:00.000Z",
      created_at: "2025-12-31T09:00:00.000Z",
      updated_at: "2025-12-31T09:05:00.000Z",
    });
    expect(json.verifiable_addresses[1]).not.toHaveProperty("verified_at");
    expect(json.recovery_addresses).toEqual([
      {
        id: "3f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
        value: "ada@example.com",
        via: "email",
        created_at: "2025-12-31T09:00:00.000Z",
        updated_at: "2025-12-31T09:00:00.000Z",
      },
    ]);
  });

  test("bare identity keeps nulls and empty lists", () => {
    const json = identityToJson(bareIdentity(), {
      publicBaseUrl: PUBLIC_BASE_URL,
      audience: "admin",
    });

    expectValid("identity", json);
    expect(json.metadata_public).toBeNull();
    expect(json.metadata_admin).toBeNull();
    expect(json.verifiable_addresses).toEqual([]);
    expect(json.recovery_addresses).toEqual([]);
    expect(json.credentials).toEqual({});
    expect(json).not.toHaveProperty("state_changed_at");
    expect(json).not.toHaveProperty("external_id");
  });

  test("output is assignable to the SDK type", () => {
    const typed: Identity = identityToJson(fullIdentity(), {
      publicBaseUrl: PUBLIC_BASE_URL,
      audience: "admin",
    });
    expect(typed.id).toBe(fullIdentity().id);
  });
});

describe("sessionToJson", () => {
  test("renders a step-up session", () => {
    const json = sessionToJson(aal2Session(), { publicBaseUrl: PUBLIC_BASE_URL });

    expectValid("session", json);
    expect(json.authenticator_assurance_level).toBe("aal2");
    expect(json.authentication_methods.map((method) => method.method)).toEqual([
      "password",
      "totp",
      "oidc",
    ]);
    expect(json.authentication_methods[2]).toEqual({
      method: "oidc",
      aal: "aal1",
      completed_at: "2026-01-01T10:00:00.000Z",
      provider: "google",
      upstream_acr: "urn:acr:1",
      upstream_amr: ["pwd"],
    });
    expect(json.devices).toEqual([
      {
        id: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        ip_address: "192.0.2.10",
        user_agent: "Mozilla/5.0",
        location: "Berlin, DE",
      },
    ]);
    expect(json).not.toHaveProperty("tokenized");
  });

  test("embedded identity is public by default", () => {
    const json = sessionToJson(aal2Session(), { publicBaseUrl: PUBLIC_BASE_URL });

    expect(json.identity?.schema_url).toBe("https://auth.example.com/schemas/ZGVmYXVsdA");
    expect(json.identity).not.toHaveProperty("credentials");
    expect(json.identity).not.toHaveProperty("metadata_admin");
  });

  test("admin identity audience adds admin fields", () => {
    const json = sessionToJson(aal2Session(), {
      publicBaseUrl: PUBLIC_BASE_URL,
      identityAudience: "admin",
    });

    expectValid("session", json);
    expect(json.identity?.metadata_admin).toEqual({ note: "imported" });
    expect(json.identity?.credentials?.password?.identifiers).toEqual(["ada@example.com"]);
  });

  test("omits identity when absent", () => {
    const session = { ...aal2Session(), identity: undefined, tokenized: "eyJhbGciOi.x.y" };
    const json = sessionToJson(session, { publicBaseUrl: PUBLIC_BASE_URL });

    expectValid("session", json);
    expect(json).not.toHaveProperty("identity");
    expect(json.tokenized).toBe("eyJhbGciOi.x.y");
  });

  test("never renders a token field", () => {
    const json = sessionToJson(aal2Session(), { publicBaseUrl: PUBLIC_BASE_URL });

    expect(Object.keys(json)).not.toContain("token");
    expect(Object.keys(json)).not.toContain("session_token");
  });

  test("output is assignable to the SDK type", () => {
    const typed: Session = sessionToJson(aal2Session(), { publicBaseUrl: PUBLIC_BASE_URL });
    expect(typed.id).toBe(aal2Session().id);
  });
});
