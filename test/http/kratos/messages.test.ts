import { describe, expect, test } from "vitest";
import { MESSAGE_CATALOGUE, type MessageId } from "../../../src/http/kratos/message-catalogue.ts";
import {
  accountRecovered,
  constantMismatch,
  duplicateCredentialsWithHints,
  invalidCredentials,
  linkCredentialsOnLogin,
  loginFlowExpired,
  passwordBreached,
  passwordTooShort,
  propertyMissing,
  recoveryFlowExpired,
  registrationFlowExpired,
  sendCodeTo,
  settingsFlowExpired,
  signInWith,
  traitLabel,
  uiText,
  validationFailed,
  verificationFlowExpired,
  wrongType,
} from "../../../src/http/kratos/messages.ts";
import { NOW } from "./fixtures.ts";
import { describeErrors, loadKratosSchemas } from "./openapi-schemas.ts";

const schema = loadKratosSchemas();
const ids = Object.keys(MESSAGE_CATALOGUE).map(Number) as MessageId[];

// Ids that the compatibility reference lists, by flow.
const REFERENCE_IDS = [
  1010001, 1010002, 1010003, 1010004, 1010006, 1010014, 1010016, 1010022, 1010023, 1040001, 1040005,
  1040009, 1050001, 1060001, 1060002, 1060003, 1070001, 1070002, 1070004, 1080001, 1080002, 1080003,
  4010001, 4010002, 4010008, 4010011, 4040001, 4040003, 4050001, 4060004, 4060005, 4060006, 4070005,
  4070006, 5000001,
];

// Texts that the reference quotes in full.
const REFERENCE_TEXTS: [number, string][] = [
  [1010001, "Sign in"],
  [1010003, "Please confirm this action by verifying that it is you."],
  [1010004, "Please complete the second authentication challenge."],
  [1010006, "Authentication code"],
  [1010022, "Sign in with password"],
  [1040001, "Sign up"],
  [1040009, "Please choose a credential to authenticate yourself with."],
  [1050001, "Your changes have been saved!"],
  [1070001, "Password"],
  [1070004, "ID"],
  [1080002, "You successfully verified your email address."],
  [
    4000006,
    "The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.",
  ],
  [4000007, "An account with the same identifier (email, phone, username, ...) exists already."],
  [4000008, "The provided authentication code is invalid, please try again."],
  [4000010, "Account not active yet. Did you forget to verify your email address?"],
  [4000012, "This backup recovery code has already been used."],
  [4000016, "The backup recovery code is not valid."],
  [4000031, "The password can not be used because it is too similar to the identifier."],
  [4000034, "The password has been found in data breaches and must no longer be used."],
  [4000035, "This account does not exist or has not setup sign in with code."],
  [4000037, "This account does not exist or has no login method configured."],
  [4000039, "The new password must be different from the old password."],
  [4000040, "Enter a valid email address"],
  [4010008, "The login code is invalid or has already been used. Please try again."],
  [4010011, "This account has been disabled."],
  [4060004, "The recovery token is invalid or has already been used. Please retry the flow."],
  [4060006, "The recovery code is invalid or has already been used. Please try again."],
  [4070006, "The verification code is invalid or has already been used. Please try again."],
];

// Context keys that the reference gives; @ory/elements-react translates with them.
const REFERENCE_CONTEXT: [number, string[]][] = [
  [1010002, ["provider", "provider_id"]],
  [
    1010016,
    [
      "duplicate_identifier",
      "provider",
      "new_login_url",
      "available_credential_types",
      "available_providers",
    ],
  ],
  [1010023, ["address", "channel"]],
  [1060001, ["privileged_session_expires_at", "privileged_session_expires_at_unix"]],
  [1070002, ["title", "name"]],
  [4000001, ["reason"]],
  [4000002, ["property"]],
  [4000003, ["min_length", "actual_length"]],
  [4000005, ["reason"]],
  [4000020, ["maximum", "actual"]],
  [
    4000028,
    ["available_credential_types", "available_oidc_providers", "credential_identifier_hint"],
  ],
  [4000032, ["min_length", "actual_length"]],
  [4000033, ["max_length", "actual_length"]],
  [4000034, ["breaches"]],
  [4000040, ["value"]],
  [4010001, ["expired_at", "expired_at_unix"]],
  [4040001, ["expired_at", "expired_at_unix"]],
  [4050001, ["expired_at", "expired_at_unix"]],
  [4060005, ["expired_at", "expired_at_unix"]],
  [4070005, ["expired_at", "expired_at_unix"]],
  [5000001, ["reason"]],
];

function placeholders(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
}

describe("message catalogue", () => {
  test("covers the reference ids", () => {
    for (const id of REFERENCE_IDS) expect(ids, `id ${id}`).toContain(id);
  });

  test("covers validation ids 4000001 to 4000040", () => {
    for (let id = 4000001; id <= 4000040; id++) expect(ids, `id ${id}`).toContain(id);
  });

  test.each(REFERENCE_TEXTS)("%i has the reference text", (id, text) => {
    expect(MESSAGE_CATALOGUE[id as MessageId].template).toBe(text);
  });

  test.each(REFERENCE_CONTEXT)("%i has the reference context keys", (id, keys) => {
    expect(MESSAGE_CATALOGUE[id as MessageId].context).toEqual(keys);
  });

  test("placeholders are declared values", () => {
    for (const id of ids) {
      const definition = MESSAGE_CATALOGUE[id];
      const declared = [...definition.context, ...definition.display];
      for (const name of placeholders(definition.template)) {
        expect(declared, `message ${id} placeholder ${name}`).toContain(name);
      }
      for (const name of definition.display) {
        expect(placeholders(definition.template), `message ${id} display ${name}`).toContain(name);
      }
    }
  });

  test("types follow the id ranges", () => {
    for (const id of ids) {
      const { type } = MESSAGE_CATALOGUE[id];
      if (id >= 4000000) expect(type, `message ${id}`).toBe("error");
      else expect(["info", "success"], `message ${id}`).toContain(type);
    }
  });

  test("success ids are the reference ones", () => {
    const successIds = ids.filter((id) => MESSAGE_CATALOGUE[id].type === "success");
    expect(successIds).toEqual([1050001, 1060001, 1080002]);
  });
});

describe("uiText", () => {
  test("omits context for messages without keys", () => {
    expect(invalidCredentials()).toEqual({
      id: 4000006,
      text: MESSAGE_CATALOGUE[4000006].template,
      type: "error",
    });
  });

  test("fills template and context", () => {
    expect(propertyMissing("email")).toEqual({
      id: 4000002,
      text: "Property email is missing.",
      type: "error",
      context: { property: "email" },
    });
    expect(passwordTooShort(8, 3)).toEqual({
      id: 4000032,
      text: "The password must be at least 8 characters long, but got 3.",
      type: "error",
      context: { min_length: 8, actual_length: 3 },
    });
    expect(validationFailed("The request was submitted too often.")).toMatchObject({
      id: 4000001,
      text: "The request was submitted too often.",
      context: { reason: "The request was submitted too often." },
    });
    expect(passwordBreached(12).context).toEqual({ breaches: 12 });
  });

  test("keeps display values out of context", () => {
    const message = wrongType(["string", "number"], "boolean");

    expect(message.text).toBe("expected string or number, but got boolean");
    expect(message.context).toEqual({
      allowed_types: ["string", "number"],
      actual_type: "boolean",
    });
  });

  test("keeps raw constant in context", () => {
    const message = constantMismatch({ a: 1 });

    expect(message.text).toBe('must be equal to constant {"a":1}');
    expect(message.context).toEqual({ expected: { a: 1 } });
  });

  test("rejects a missing template value", () => {
    expect(() => uiText(4000002)).toThrow('message 4000002 needs the value "property"');
  });

  test("builds labels and provider texts", () => {
    expect(traitLabel("E-Mail", "traits.email")).toEqual({
      id: 1070002,
      text: "E-Mail",
      type: "info",
      context: { title: "E-Mail", name: "traits.email" },
    });
    expect(signInWith("Google", "google")).toMatchObject({
      text: "Sign in with Google",
      context: { provider: "Google", provider_id: "google" },
    });
    expect(sendCodeTo("ada@example.com", "email")).toMatchObject({
      text: "Send code to ada@example.com",
      context: { address: "ada@example.com", channel: "email" },
    });
  });

  test("every builder output matches uiText schema", () => {
    const validate = schema("uiText");
    const samples = [
      invalidCredentials(),
      propertyMissing("email"),
      loginFlowExpired(NOW, NOW),
      accountRecovered(NOW, NOW),
      linkCredentialsOnLogin({
        duplicateIdentifier: "ada@example.com",
        provider: "google",
        newLoginUrl: "https://auth.example.com/self-service/login/browser",
        availableCredentialTypes: ["password"],
        availableProviders: [],
      }),
    ];
    for (const sample of samples) expect(validate(sample), describeErrors(validate)).toBe(true);
  });
});

describe("expiry messages", () => {
  const expiredAt = new Date(NOW.getTime() - 5 * 60_000);

  test("login expiry states minutes and context", () => {
    expect(loginFlowExpired(expiredAt, NOW)).toEqual({
      id: 4010001,
      text: "The login flow expired 5.00 minutes ago, please try again.",
      type: "error",
      context: {
        expired_at: "2026-01-01T09:55:00.000Z",
        expired_at_unix: Math.floor(expiredAt.getTime() / 1000),
      },
    });
  });

  test.each([
    [registrationFlowExpired, 4040001, "registration"],
    [settingsFlowExpired, 4050001, "settings"],
    [recoveryFlowExpired, 4060005, "recovery"],
    [verificationFlowExpired, 4070005, "verification"],
  ])("%#: flow expiry uses its own id", (build, id, kind) => {
    const message = build(expiredAt, NOW);

    expect(message.id).toBe(id);
    expect(message.text).toBe(`The ${kind} flow expired 5.00 minutes ago, please try again.`);
  });

  test("recovery success states remaining minutes", () => {
    const expiresAt = new Date(NOW.getTime() + 15 * 60_000);
    const message = accountRecovered(expiresAt, NOW);

    expect(message.id).toBe(1060001);
    expect(message.type).toBe("success");
    expect(message.text).toContain("within the next 15.00 minutes.");
    expect(message.context).toEqual({
      privileged_session_expires_at: "2026-01-01T10:15:00.000Z",
      privileged_session_expires_at_unix: Math.floor(expiresAt.getTime() / 1000),
    });
  });
});

describe("duplicateCredentialsWithHints", () => {
  test("lists password and providers", () => {
    const message = duplicateCredentialsWithHints({
      credentialIdentifierHint: "ada@example.com",
      availableCredentialTypes: ["password", "oidc"],
      availableOidcProviders: ["google"],
    });

    expect(message.id).toBe(4000028);
    expect(message.text).toBe(
      "You tried signing in with ada@example.com which is already in use by another account. You can sign in using your password or google.",
    );
    expect(message.context).toEqual({
      available_credential_types: ["password", "oidc"],
      available_oidc_providers: ["google"],
      credential_identifier_hint: "ada@example.com",
    });
  });
});
