import { describe, expect, test } from "vitest";
import { invalidCredentials, propertyMissing } from "../../../src/http/kratos/messages.ts";
import {
  addContainerMessages,
  addNodeMessages,
  anchorNode,
  divisionNode,
  imageNode,
  inputNode,
  nodeName,
  scriptNode,
  textNode,
  uiContainer,
} from "../../../src/http/kratos/ui.ts";
import {
  codeAddressNodes,
  codeEntryNodes,
  csrfTokenNode,
  inputTypeOf,
  passwordLoginNodes,
  passwordRegistrationNodes,
  passwordSettingsNodes,
  traitNodes,
} from "../../../src/http/kratos/ui-nodes.ts";
import { describeErrors, loadKratosSchemas } from "./openapi-schemas.ts";

const schema = loadKratosSchemas();

function expectValidNode(value: unknown): void {
  const validate = schema("uiNode");
  expect(validate(value), describeErrors(validate)).toBe(true);
}

function attributesOf(nodes: { attributes: unknown }[]) {
  return nodes.map((node) => node.attributes as Record<string, unknown>);
}

describe("csrfTokenNode", () => {
  test("browser flow carries the token", () => {
    const node = csrfTokenNode("browser", "masked");

    expectValidNode(node);
    expect(node.attributes).toEqual({
      name: "csrf_token",
      type: "hidden",
      value: "masked",
      required: true,
      disabled: false,
      node_type: "input",
    });
    expect(node.group).toBe("default");
  });

  test("native flow has an empty value", () => {
    expect(csrfTokenNode("api", "masked").attributes.value).toBe("");
  });
});

describe("password nodes", () => {
  test("login refresh hides the identifier", () => {
    const [identifier] = passwordLoginNodes({ identifier: "ada@example.com", refresh: true });

    expect(identifier?.attributes).toMatchObject({
      name: "identifier",
      type: "hidden",
      value: "ada@example.com",
    });
  });

  test("login accepts a schema label", () => {
    const label = { id: 1070002, text: "E-Mail", type: "info" as const };
    const [identifier] = passwordLoginNodes({ identifierLabel: label });

    expect(identifier?.meta.label).toEqual(label);
  });

  test("registration asks for a new password", () => {
    const nodes = passwordRegistrationNodes();

    for (const node of nodes) expectValidNode(node);
    expect(attributesOf(nodes)).toEqual([
      expect.objectContaining({ name: "password", autocomplete: "new-password", required: true }),
      expect.objectContaining({ name: "method", type: "submit", value: "password" }),
    ]);
    expect(nodes[1]?.meta.label).toEqual({ id: 1040001, text: "Sign up", type: "info" });
  });

  test("settings submit is labelled save", () => {
    const nodes = passwordSettingsNodes();

    expect(nodes[0]?.attributes.autocomplete).toBe("new-password");
    expect(nodes[1]?.meta.label?.id).toBe(1070003);
  });
});

describe("traitNodes", () => {
  test("maps fields to named inputs", () => {
    const nodes = traitNodes(
      [
        { path: "email", inputType: "email", title: "E-Mail", required: true },
        { path: "name.first", inputType: "text", maxLength: 40, pattern: "^[A-Za-z]+$" },
        { path: "plan", inputType: "text", options: ["free", "pro"] },
      ],
      { email: "ada@example.com", name: { first: "Ada" } },
      "profile",
    );

    for (const node of nodes) expectValidNode(node);
    expect(nodes.map((node) => node.group)).toEqual(["profile", "profile", "profile"]);
    expect(attributesOf(nodes)).toEqual([
      {
        name: "traits.email",
        type: "email",
        value: "ada@example.com",
        required: true,
        disabled: false,
        node_type: "input",
      },
      {
        name: "traits.name.first",
        type: "text",
        value: "Ada",
        pattern: "^[A-Za-z]+$",
        maxlength: 40,
        disabled: false,
        node_type: "input",
      },
      {
        name: "traits.plan",
        type: "text",
        options: [{ value: "free" }, { value: "pro" }],
        disabled: false,
        node_type: "input",
      },
    ]);
    expect(nodes[0]?.meta.label).toEqual({
      id: 1070002,
      text: "E-Mail",
      type: "info",
      context: { title: "E-Mail", name: "traits.email" },
    });
    expect(nodes[1]?.meta.label?.text).toBe("name.first");
  });

  test("ignores inherited properties as values", () => {
    const [node] = traitNodes([{ path: "toString", inputType: "text" }], {}, "default");

    expect(node?.attributes).not.toHaveProperty("value");
  });
});

describe("inputTypeOf", () => {
  test.each([
    [{ type: "string", format: "email" }, "email"],
    [{ type: "string", format: "tel" }, "tel"],
    [{ type: "string", format: "date" }, "date"],
    [{ type: "string", format: "date-time" }, "datetime-local"],
    [{ type: "string", format: "uri" }, "url"],
    [{ type: "string" }, "text"],
    [{ type: "integer" }, "number"],
    [{ type: "number" }, "number"],
    [{ type: "boolean" }, "checkbox"],
    [{ type: ["boolean", "null"] }, "checkbox"],
  ])("%j gives %s", (property, expected) => {
    expect(inputTypeOf(property)).toBe(expected);
  });
});

describe("code nodes", () => {
  test("address form asks for an email", () => {
    const nodes = codeAddressNodes("ada@example.com");

    for (const node of nodes) expectValidNode(node);
    expect(attributesOf(nodes)).toEqual([
      expect.objectContaining({ name: "email", type: "email", value: "ada@example.com" }),
      expect.objectContaining({ name: "method", type: "submit", value: "code" }),
    ]);
    expect(nodes.map((node) => node.group)).toEqual(["code", "code"]);
  });

  test("recovery resends with the address", () => {
    const nodes = codeEntryNodes("recovery", "ada@example.com");

    for (const node of nodes) expectValidNode(node);
    expect(nodes.map(nodeName)).toEqual(["code", "method", "email"]);
    expect(nodes[0]?.attributes.autocomplete).toBe("one-time-code");
    expect(nodes[0]?.meta.label?.id).toBe(1070010);
    expect(nodes[2]?.attributes).toMatchObject({ type: "submit", value: "ada@example.com" });
    expect(nodes[2]?.meta.label?.id).toBe(1070008);
  });

  test("login resends with resend=code", () => {
    const nodes = codeEntryNodes("login", "ada@example.com");

    expect(nodes.map(nodeName)).toEqual(["code", "method", "resend"]);
    expect(nodes[0]?.meta.label?.id).toBe(1070013);
    expect(nodes[2]?.attributes.value).toBe("code");
  });

  test("verification labels its code", () => {
    expect(codeEntryNodes("verification", "a@b.c")[0]?.meta.label?.id).toBe(1070011);
    expect(codeEntryNodes("registration", "a@b.c")[0]?.meta.label?.id).toBe(1070012);
  });
});

describe("generic nodes", () => {
  test("each node type matches the schema", () => {
    const label = { id: 1070001, text: "Password", type: "info" as const };
    const nodes = [
      inputNode("default", { name: "x", type: "text", disabled: true }, label),
      textNode("totp", "totp_secret_key", { id: 1050006, text: "SECRET", type: "info" }),
      imageNode("totp", {
        id: "totp_qr",
        src: "data:image/png;base64,AA==",
        width: 256,
        height: 256,
      }),
      anchorNode("code", { id: "continue", href: "https://x.example/", title: label }),
      scriptNode("webauthn", {
        id: "webauthn_script",
        src: "https://auth.example.com/.well-known/ory/webauthn.js",
        async: true,
        referrerpolicy: "no-referrer",
        crossorigin: "anonymous",
        integrity: "sha512-abc",
        type: "text/javascript",
        nonce: "n0nce",
      }),
      divisionNode("captcha", { id: "captcha", class: "widget", data: { sitekey: "k" } }),
    ];

    for (const node of nodes) {
      expectValidNode(node);
      expect(node.type).toBe(node.attributes.node_type);
      expect(node.messages).toEqual([]);
    }
    expect(nodes[0]?.attributes).toMatchObject({ disabled: true });
    expect(nodes[1]?.meta).toEqual({});
  });
});

describe("container messages", () => {
  const container = () =>
    uiContainer({
      action: "https://auth.example.com/self-service/login?flow=1",
      nodes: passwordLoginNodes(),
    });

  test("attaches messages to the named node", () => {
    const updated = addNodeMessages(container(), "identifier", [propertyMissing("identifier")]);

    expect(updated.nodes[0]?.messages.map((message) => message.id)).toEqual([4000002]);
    expect(updated.nodes[1]?.messages).toEqual([]);
    expect(container().nodes[0]?.messages).toEqual([]);
  });

  test("adds form messages", () => {
    const updated = addContainerMessages(container(), [invalidCredentials()]);

    expect(updated.messages?.map((message) => message.id)).toEqual([4000006]);
    expect(uiContainer({ action: "a", nodes: [], messages: [] })).not.toHaveProperty("messages");
  });

  test("container matches the schema", () => {
    const validate = schema("uiContainer");
    const value = addContainerMessages(container(), [invalidCredentials()]);

    expect(validate(value), describeErrors(validate)).toBe(true);
  });
});
