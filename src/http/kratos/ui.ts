import type { UiText } from "./messages.ts";

export type UiNodeGroup =
  | "default"
  | "password"
  | "oidc"
  | "profile"
  | "link"
  | "code"
  | "totp"
  | "lookup_secret"
  | "webauthn"
  | "passkey"
  | "identifier_first"
  | "captcha"
  | "saml"
  | "deviceauthn";

export type InputType =
  | "text"
  | "password"
  | "number"
  | "checkbox"
  | "hidden"
  | "email"
  | "tel"
  | "submit"
  | "button"
  | "datetime-local"
  | "date"
  | "url";

export type InputAutocomplete =
  | "email"
  | "tel"
  | "url"
  | "current-password"
  | "new-password"
  | "one-time-code"
  | "username"
  | "username webauthn";

/** Names of the JavaScript functions that Kratos's webauthn.js script defines. */
export type WebAuthnTrigger =
  | "oryWebAuthnRegistration"
  | "oryWebAuthnLogin"
  | "oryPasskeyLogin"
  | "oryPasskeyLoginAutocompleteInit"
  | "oryPasskeyRegistration"
  | "oryPasskeySettingsRegistration";

export interface UiNodeInputAttributes {
  name: string;
  type: InputType;
  value?: unknown;
  required?: boolean;
  disabled: boolean;
  autocomplete?: InputAutocomplete;
  label?: UiText;
  pattern?: string;
  maxlength?: number;
  options?: { value: unknown }[];
  onclickTrigger?: WebAuthnTrigger;
  onloadTrigger?: WebAuthnTrigger;
  node_type: "input";
}

export interface UiNodeTextAttributes {
  id: string;
  text: UiText;
  node_type: "text";
}

export interface UiNodeImageAttributes {
  id: string;
  src: string;
  width: number;
  height: number;
  node_type: "img";
}

export interface UiNodeAnchorAttributes {
  id: string;
  href: string;
  title: UiText;
  node_type: "a";
}

export interface UiNodeScriptAttributes {
  id: string;
  src: string;
  async: boolean;
  referrerpolicy: string;
  crossorigin: string;
  integrity: string;
  type: string;
  nonce: string;
  node_type: "script";
}

export interface UiNodeDivisionAttributes {
  id: string;
  class?: string;
  data?: Record<string, string>;
  node_type: "div";
}

export type UiNodeAttributes =
  | UiNodeInputAttributes
  | UiNodeTextAttributes
  | UiNodeImageAttributes
  | UiNodeAnchorAttributes
  | UiNodeScriptAttributes
  | UiNodeDivisionAttributes;

/** A node of a flow's form. `type` always equals `attributes.node_type`. */
export interface UiNode<Attributes extends UiNodeAttributes = UiNodeAttributes> {
  type: Attributes["node_type"];
  group: UiNodeGroup;
  attributes: Attributes;
  messages: UiText[];
  meta: { label?: UiText };
}

/** Kratos's `uiContainer`: the form of a flow. */
export interface UiContainer {
  action: string;
  method: string;
  nodes: UiNode[];
  messages?: UiText[];
}

export type InputNodeSpec = Omit<UiNodeInputAttributes, "node_type" | "disabled"> & {
  disabled?: boolean;
};

/** Builds an input node. `label` goes to `meta.label`, where Kratos's UIs read it. */
export function inputNode(
  group: UiNodeGroup,
  spec: InputNodeSpec,
  label?: UiText,
): UiNode<UiNodeInputAttributes> {
  const { disabled = false, ...rest } = spec;
  const attributes: UiNodeInputAttributes = { ...rest, disabled, node_type: "input" };
  return { type: "input", group, attributes, messages: [], meta: metaOf(label) };
}

export function textNode(group: UiNodeGroup, id: string, text: UiText, label?: UiText) {
  const attributes: UiNodeTextAttributes = { id, text, node_type: "text" };
  return node(group, attributes, label);
}

export function imageNode(
  group: UiNodeGroup,
  spec: Omit<UiNodeImageAttributes, "node_type">,
  label?: UiText,
) {
  return node(group, { ...spec, node_type: "img" } as UiNodeImageAttributes, label);
}

export function anchorNode(
  group: UiNodeGroup,
  spec: Omit<UiNodeAnchorAttributes, "node_type">,
  label?: UiText,
) {
  return node(group, { ...spec, node_type: "a" } as UiNodeAnchorAttributes, label);
}

export function scriptNode(group: UiNodeGroup, spec: Omit<UiNodeScriptAttributes, "node_type">) {
  return node(group, { ...spec, node_type: "script" } as UiNodeScriptAttributes);
}

export function divisionNode(
  group: UiNodeGroup,
  spec: Omit<UiNodeDivisionAttributes, "node_type">,
) {
  return node(group, { ...spec, node_type: "div" } as UiNodeDivisionAttributes);
}

function node<Attributes extends UiNodeAttributes>(
  group: UiNodeGroup,
  attributes: Attributes,
  label?: UiText,
): UiNode<Attributes> {
  return { type: attributes.node_type, group, attributes, messages: [], meta: metaOf(label) };
}

function metaOf(label: UiText | undefined): { label?: UiText } {
  return label === undefined ? {} : { label };
}

/** Builds a form container. Kratos leaves out `messages` when there are none. */
export function uiContainer(input: {
  action: string;
  nodes: UiNode[];
  messages?: UiText[];
  method?: string;
}): UiContainer {
  const container: UiContainer = {
    action: input.action,
    method: input.method ?? "POST",
    nodes: input.nodes,
  };
  if (input.messages !== undefined && input.messages.length > 0) {
    container.messages = input.messages;
  }
  return container;
}

/** Returns the name of an input node, or the id of any other node. */
export function nodeName(uiNode: UiNode): string {
  return uiNode.attributes.node_type === "input" ? uiNode.attributes.name : uiNode.attributes.id;
}

/**
 * Returns a copy of `container` with `messages` added to the node named `name`. Without such a
 * node, as for an error on a whole object trait whose fields are the nodes, the messages go to
 * the form's own messages, so that none is lost.
 */
export function addNodeMessages(
  container: UiContainer,
  name: string,
  messages: UiText[],
): UiContainer {
  if (!container.nodes.some((uiNode) => nodeName(uiNode) === name)) {
    return addContainerMessages(container, messages);
  }
  const nodes = container.nodes.map((uiNode) =>
    nodeName(uiNode) === name ? { ...uiNode, messages: [...uiNode.messages, ...messages] } : uiNode,
  );
  return { ...container, nodes };
}

/** Returns a copy of `container` with `messages` added to the form's own messages. */
export function addContainerMessages(container: UiContainer, messages: UiText[]): UiContainer {
  return uiContainer({ ...container, messages: [...(container.messages ?? []), ...messages] });
}
