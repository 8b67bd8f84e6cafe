import type {
  LoginFlow,
  RecoveryFlow,
  RegistrationFlow,
  SettingsFlow,
  VerificationFlow,
} from "@ory/client";
import { describe, expect, test } from "vitest";
import {
  redirectBrowserTo,
  setOrySessionToken,
  showRecoveryUi,
  showSettingsUi,
  showVerificationUi,
} from "../../../src/http/kratos/continue-with.ts";
import {
  flowActionUrl,
  loginFlowToJson,
  recoveryFlowToJson,
  registrationFlowToJson,
  settingsFlowToJson,
  verificationFlowToJson,
} from "../../../src/http/kratos/flows.ts";
import { identityToJson } from "../../../src/http/kratos/identity-json.ts";
import {
  addressVerified,
  invalidCredentials,
  loginFlowExpired,
  recoveryCodeSent,
  settingsSaved,
} from "../../../src/http/kratos/messages.ts";
import { addContainerMessages, uiContainer } from "../../../src/http/kratos/ui.ts";
import {
  codeAddressNodes,
  codeEntryNodes,
  csrfTokenNode,
  passwordLoginNodes,
  passwordRegistrationNodes,
  passwordSettingsNodes,
  profileSettingsNodes,
  traitNodes,
  verificationContinueNode,
} from "../../../src/http/kratos/ui-nodes.ts";
import { fullIdentity, NOW, PUBLIC_BASE_URL } from "./fixtures.ts";
import { describeErrors, loadKratosSchemas } from "./openapi-schemas.ts";

const schema = loadKratosSchemas();
const FLOW_ID = "5e8a1c2b-3d4f-4a6b-9c8d-7e6f5a4b3c2d";
const EXPIRES_AT = new Date("2026-01-01T11:00:00.000Z");
const TRAIT_FIELDS = [
  { path: "email", inputType: "email", title: "E-Mail", required: true },
  { path: "age", inputType: "number", title: "Age" },
  { path: "tos", inputType: "checkbox", title: "Accept Terms of Service" },
] as const;

function expectValid(name: string, value: unknown): void {
  const validate = schema(name);
  expect(validate(value), describeErrors(validate)).toBe(true);
}

function action(kind: Parameters<typeof flowActionUrl>[1]): string {
  return flowActionUrl(PUBLIC_BASE_URL, kind, FLOW_ID);
}

const common = {
  id: FLOW_ID,
  expiresAt: EXPIRES_AT,
  issuedAt: NOW,
};

describe("flowActionUrl", () => {
  test("builds an absolute action URL", () => {
    expect(flowActionUrl("https://auth.example.com/", "login", FLOW_ID)).toBe(
      `https://auth.example.com/self-service/login?flow=${FLOW_ID}`,
    );
  });

  test("keeps a base path", () => {
    expect(flowActionUrl("https://example.com/identity", "settings", FLOW_ID)).toBe(
      `https://example.com/identity/self-service/settings?flow=${FLOW_ID}`,
    );
  });
});

describe("loginFlowToJson", () => {
  const browserFlow = () =>
    loginFlowToJson({
      ...common,
      type: "browser",
      requestUrl: `${PUBLIC_BASE_URL}/self-service/login/browser?return_to=https://app.example.com/`,
      returnTo: "https://app.example.com/",
      ui: uiContainer({
        action: action("login"),
        nodes: [csrfTokenNode("browser", "masked-token"), ...passwordLoginNodes()],
      }),
      state: "choose_method",
      refresh: false,
      requestedAal: "aal1",
      createdAt: NOW,
      updatedAt: NOW,
      organizationId: null,
    });

  test("matches the openapi loginFlow schema", () => {
    expectValid("loginFlow", browserFlow());
  });

  test("renders Kratos's browser login shape", () => {
    const json = browserFlow();

    expect(json).toMatchObject({
      id: FLOW_ID,
      type: "browser",
      state: "choose_method",
      expires_at: "2026-01-01T11:00:00.000Z",
      issued_at: "2026-01-01T10:00:00.000Z",
      created_at: "2026-01-01T10:00:00.000Z",
      updated_at: "2026-01-01T10:00:00.000Z",
      return_to: "https://app.example.com/",
      refresh: false,
      requested_aal: "aal1",
      organization_id: null,
    });
    expect(json.ui.action).toBe(`https://auth.example.com/self-service/login?flow=${FLOW_ID}`);
    expect(json.ui.method).toBe("POST");
    expect(json.ui).not.toHaveProperty("messages");
    expect(json).not.toHaveProperty("active");
    expect(json).not.toHaveProperty("session_token_exchange_code");
  });

  test("node list equals the reference example", () => {
    expect(browserFlow().ui.nodes).toEqual([
      {
        type: "input",
        group: "default",
        attributes: {
          name: "csrf_token",
          type: "hidden",
          value: "masked-token",
          required: true,
          disabled: false,
          node_type: "input",
        },
        messages: [],
        meta: {},
      },
      {
        type: "input",
        group: "default",
        attributes: {
          name: "identifier",
          type: "text",
          value: "",
          required: true,
          disabled: false,
          node_type: "input",
        },
        messages: [],
        meta: { label: { id: 1070004, text: "ID", type: "info" } },
      },
      {
        type: "input",
        group: "password",
        attributes: {
          name: "password",
          type: "password",
          required: true,
          autocomplete: "current-password",
          disabled: false,
          node_type: "input",
        },
        messages: [],
        meta: { label: { id: 1070001, text: "Password", type: "info" } },
      },
      {
        type: "input",
        group: "password",
        attributes: {
          name: "method",
          type: "submit",
          value: "password",
          disabled: false,
          node_type: "input",
        },
        messages: [],
        meta: { label: { id: 1010022, text: "Sign in with password", type: "info" } },
      },
    ]);
  });

  test("native flow with messages and extras", () => {
    const json = loginFlowToJson({
      ...common,
      type: "api",
      requestUrl: `${PUBLIC_BASE_URL}/self-service/login/api?refresh=true&aal=aal2`,
      active: "password",
      ui: addContainerMessages(
        uiContainer({
          action: action("login"),
          nodes: [csrfTokenNode("api", "ignored"), ...passwordLoginNodes({ identifier: "ada" })],
        }),
        [invalidCredentials(), loginFlowExpired(new Date("2026-01-01T09:55:00.000Z"), NOW)],
      ),
      state: "choose_method",
      refresh: true,
      requestedAal: "aal2",
      createdAt: NOW,
      updatedAt: NOW,
      organizationId: "4b3c2d1e-0f9a-4b8c-9d7e-6f5a4b3c2d1e",
      sessionTokenExchangeCode: "exchange-code",
      oauth2LoginChallenge: "challenge",
      identitySchema: "customer",
      transientPayload: { source: "app" },
    });

    expectValid("loginFlow", json);
    expect(json.ui.nodes[0]?.attributes).toMatchObject({ name: "csrf_token", value: "" });
    expect(json.ui.messages?.map((message) => message.id)).toEqual([4000006, 4010001]);
    expect(json.active).toBe("password");
    expect(json.session_token_exchange_code).toBe("exchange-code");
    expect(json.oauth2_login_challenge).toBe("challenge");
    expect(json.identity_schema).toBe("customer");
    expect(json.transient_payload).toEqual({ source: "app" });
  });

  test("output is assignable to the SDK type", () => {
    const typed: LoginFlow = browserFlow();
    expect(typed.id).toBe(FLOW_ID);
  });
});

describe("registrationFlowToJson", () => {
  const flow = () =>
    registrationFlowToJson({
      ...common,
      type: "browser",
      requestUrl: `${PUBLIC_BASE_URL}/self-service/registration/browser`,
      ui: uiContainer({
        action: action("registration"),
        nodes: [
          csrfTokenNode("browser", "masked-token"),
          ...traitNodes(TRAIT_FIELDS, { email: "ada@example.com" }, "default"),
          ...passwordRegistrationNodes(),
        ],
      }),
      state: "choose_method",
      organizationId: null,
    });

  test("matches the openapi registrationFlow schema", () => {
    expectValid("registrationFlow", flow());
  });

  test("puts traits in the default group", () => {
    const names = flow().ui.nodes.map((node) => [
      node.group,
      (node.attributes as { name: string }).name,
    ]);

    expect(names).toEqual([
      ["default", "csrf_token"],
      ["default", "traits.email"],
      ["default", "traits.age"],
      ["default", "traits.tos"],
      ["password", "password"],
      ["password", "method"],
    ]);
  });

  test("output is assignable to the SDK type", () => {
    const typed: RegistrationFlow = flow();
    expect(typed.state).toBe("choose_method");
  });
});

describe("settingsFlowToJson", () => {
  const flow = () =>
    settingsFlowToJson({
      ...common,
      type: "browser",
      requestUrl: `${PUBLIC_BASE_URL}/self-service/settings/browser`,
      ui: uiContainer({
        action: action("settings"),
        nodes: [
          csrfTokenNode("browser", "masked-token"),
          ...profileSettingsNodes(TRAIT_FIELDS, fullIdentity().traits),
          ...passwordSettingsNodes(),
        ],
        messages: [settingsSaved()],
      }),
      state: "success",
      identity: identityToJson(fullIdentity(), {
        publicBaseUrl: PUBLIC_BASE_URL,
        audience: "public",
      }),
      continueWith: [redirectBrowserTo("https://app.example.com/")],
      organizationId: null,
    });

  test("matches the openapi settingsFlow schema", () => {
    expectValid("settingsFlow", flow());
  });

  test("carries identity, state and continue_with", () => {
    const json = flow();

    expect(json.state).toBe("success");
    expect(json.identity.id).toBe(fullIdentity().id);
    expect(json.identity).not.toHaveProperty("credentials");
    expect(json.continue_with).toEqual([
      { action: "redirect_browser_to", redirect_browser_to: "https://app.example.com/" },
    ]);
    expect(json.ui.messages).toEqual([
      { id: 1050001, text: "Your changes have been saved!", type: "success" },
    ]);
  });

  test("prefills profile traits from the identity", () => {
    const profile = flow().ui.nodes.filter((node) => node.group === "profile");

    expect(profile.map((node) => node.attributes)).toEqual([
      expect.objectContaining({ name: "traits.email", value: "ada@example.com", required: true }),
      expect.objectContaining({ name: "traits.age", value: 36, type: "number" }),
      expect.objectContaining({ name: "traits.tos", value: true, type: "checkbox" }),
      expect.objectContaining({ name: "method", type: "submit", value: "profile" }),
    ]);
  });

  test("output is assignable to the SDK type", () => {
    const typed: SettingsFlow = flow();
    expect(typed.identity.id).toBe(fullIdentity().id);
  });
});

describe("recoveryFlowToJson", () => {
  const flow = () =>
    recoveryFlowToJson({
      ...common,
      type: "api",
      requestUrl: `${PUBLIC_BASE_URL}/self-service/recovery/api`,
      ui: uiContainer({
        action: action("recovery"),
        nodes: [csrfTokenNode("api", ""), ...codeEntryNodes("recovery", "ada@example.com")],
        messages: [recoveryCodeSent()],
      }),
      state: "sent_email",
      continueWith: [
        showSettingsUi({ id: FLOW_ID, url: `${PUBLIC_BASE_URL}/settings?flow=${FLOW_ID}` }),
        setOrySessionToken("ory_st_token"),
      ],
    });

  test("matches the openapi recoveryFlow schema", () => {
    expectValid("recoveryFlow", flow());
  });

  test("renders continue_with items", () => {
    expect(flow().continue_with).toEqual([
      {
        action: "show_settings_ui",
        flow: { id: FLOW_ID, url: `${PUBLIC_BASE_URL}/settings?flow=${FLOW_ID}` },
      },
      { action: "set_ory_session_token", ory_session_token: "ory_st_token" },
    ]);
  });

  test("output is assignable to the SDK type", () => {
    const typed: RecoveryFlow = flow();
    expect(typed.state).toBe("sent_email");
  });
});

describe("verificationFlowToJson", () => {
  const flow = () =>
    verificationFlowToJson({
      ...common,
      type: "browser",
      requestUrl: `${PUBLIC_BASE_URL}/self-service/verification/browser`,
      returnTo: "https://app.example.com/",
      ui: uiContainer({
        action: action("verification"),
        nodes: [
          csrfTokenNode("browser", "masked-token"),
          verificationContinueNode("https://app.example.com/"),
        ],
        messages: [addressVerified()],
      }),
      state: "passed_challenge",
    });

  test("matches the openapi verificationFlow schema", () => {
    expectValid("verificationFlow", flow());
  });

  test("has no continue_with", () => {
    expect(flow()).not.toHaveProperty("continue_with");
  });

  test("shows the continue anchor", () => {
    expect(flow().ui.nodes[1]).toEqual({
      type: "a",
      group: "code",
      attributes: {
        id: "continue",
        href: "https://app.example.com/",
        title: { id: 1070009, text: "Continue", type: "info" },
        node_type: "a",
      },
      messages: [],
      meta: {},
    });
  });

  test("request form validates", () => {
    const json = verificationFlowToJson({
      ...common,
      type: "browser",
      requestUrl: `${PUBLIC_BASE_URL}/self-service/verification/browser`,
      ui: uiContainer({ action: action("verification"), nodes: codeAddressNodes() }),
      state: "choose_method",
    });

    expectValid("verificationFlow", json);
  });

  test("output is assignable to the SDK type", () => {
    const typed: VerificationFlow = flow();
    expect(typed.state).toBe("passed_challenge");
  });
});

describe("continue_with builders", () => {
  test.each([
    ["redirect_browser_to", redirectBrowserTo("https://app.example.com/")],
    ["set_ory_session_token", setOrySessionToken("token")],
    ["show_settings_ui", showSettingsUi({ id: FLOW_ID })],
    ["show_recovery_ui", showRecoveryUi({ id: FLOW_ID, url: "https://ui.example.com/recovery" })],
    [
      "show_verification_ui",
      showVerificationUi({ id: FLOW_ID, verifiableAddress: "ada@example.com" }),
    ],
  ])("%s matches the openapi schema", (actionName, item) => {
    expect(item.action).toBe(actionName);
    expectValid("continueWith", item);
  });

  test("verification item carries the address", () => {
    expect(showVerificationUi({ id: FLOW_ID, verifiableAddress: "ada@example.com" })).toEqual({
      action: "show_verification_ui",
      flow: { id: FLOW_ID, verifiable_address: "ada@example.com" },
    });
  });
});
