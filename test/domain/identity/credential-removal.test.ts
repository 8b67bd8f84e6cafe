import { describe, expect, it } from "vitest";
import {
  type Credential,
  type CredentialType,
  checkCredentialRemoval,
  foldIdentity,
  type Identity,
} from "../../../src/domain/identity/index.ts";
import { registered, t0 } from "./fixtures.ts";

/** Alice with her password, plus credentials of other types with the given configurations. */
function aliceWith(configs: Partial<Record<CredentialType, Record<string, string>>>): Identity {
  const state = foldIdentity([registered]);
  if (state.status !== "existing") throw new Error("the fixture folds to no identity");
  const credentials = { ...state.identity.credentials };
  for (const [type, config] of Object.entries(configs) as [CredentialType, object][]) {
    const credential: Credential = {
      type,
      identifiers: ["alice@example.com"],
      config,
      version: 0,
      createdAt: t0,
      updatedAt: t0,
    };
    Object.assign(credentials, { [type]: credential });
  }
  return { ...state.identity, credentials };
}

describe("checkCredentialRemoval", () => {
  it("keeps the only first factor", () => {
    expect(checkCredentialRemoval(aliceWith({}), "password")).toEqual({
      code: "credential_last_first_factor",
      credentialType: "password",
    });
  });

  it("allows password beside another first factor", () => {
    const alice = aliceWith({ oidc: { provider: "google" } });
    expect(checkCredentialRemoval(alice, "password")).toBeNull();
    expect(checkCredentialRemoval(alice, "oidc")).toBeNull();
  });

  it("allows second factors", () => {
    const alice = aliceWith({ totp: { totp_url: "otpauth://totp/x" }, webauthn: { key: "k" } });
    expect(checkCredentialRemoval(alice, "totp")).toBeNull();
    expect(checkCredentialRemoval(alice, "webauthn")).toBeNull();
  });

  it("ignores identifiers without configuration", () => {
    const alice = aliceWith({ webauthn: {}, oidc: {} });
    expect(checkCredentialRemoval(alice, "webauthn")).toEqual({
      code: "credential_not_found",
      credentialType: "webauthn",
    });
    expect(checkCredentialRemoval(alice, "password")).toEqual({
      code: "credential_last_first_factor",
      credentialType: "password",
    });
  });

  it("reports a password without hash as missing", () => {
    const alice = aliceWith({});
    const password = { ...alice.credentials.password!, config: {} };
    const withoutHash = { ...alice, credentials: { ...alice.credentials, password } };
    expect(checkCredentialRemoval(withoutHash, "password")).toEqual({
      code: "credential_not_found",
      credentialType: "password",
    });
  });

  it("never removes code or passkey", () => {
    const alice = aliceWith({ code: { channel: "email" }, passkey: { key: "k" } });
    for (const type of ["code", "passkey"] as const) {
      expect(checkCredentialRemoval(alice, type)).toEqual({
        code: "credential_not_removable",
        credentialType: type,
      });
    }
  });
});
