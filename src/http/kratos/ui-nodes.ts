import {
  continueLabel,
  emailLabel,
  identifierLabel,
  loginCodeLabel,
  passwordLabel,
  recoveryCodeLabel,
  registrationCodeLabel,
  resendCodeLabel,
  saveLabel,
  signInWithPassword,
  signUp,
  submitLabel,
  traitLabel,
  type UiText,
  verificationCodeLabel,
} from "./messages.ts";
import {
  anchorNode,
  type InputAutocomplete,
  type InputType,
  inputNode,
  type UiNode,
  type UiNodeAnchorAttributes,
  type UiNodeGroup,
  type UiNodeInputAttributes,
} from "./ui.ts";

type InputNode = UiNode<UiNodeInputAttributes>;

/**
 * Builds the hidden `csrf_token` node. Native (`api`) flows carry no CSRF token, so Kratos sends
 * the node with an empty value there.
 */
export function csrfTokenNode(flowType: "api" | "browser", token: string): InputNode {
  return inputNode("default", {
    name: "csrf_token",
    type: "hidden",
    value: flowType === "api" ? "" : token,
    required: true,
  });
}

function methodSubmitNode(group: UiNodeGroup, method: string, label: UiText): InputNode {
  return inputNode(group, { name: "method", type: "submit", value: method }, label);
}

export interface PasswordLoginOptions {
  /** Prefills the identifier, for example after a failed attempt. */
  identifier?: string;
  /** Replaces the "ID" label, with the schema title of the only identifier trait. */
  identifierLabel?: UiText;
  /** For `refresh=true`: the identifier is fixed and sent as a hidden field. */
  refresh?: boolean;
}

/** Builds the password method nodes of a login flow: identifier, password and submit. */
export function passwordLoginNodes(options: PasswordLoginOptions = {}): InputNode[] {
  const identifier = inputNode(
    "default",
    {
      name: "identifier",
      type: options.refresh === true ? "hidden" : "text",
      value: options.identifier ?? "",
      required: true,
    },
    options.identifierLabel ?? identifierLabel(),
  );
  return [
    identifier,
    passwordInput("current-password"),
    methodSubmitNode("password", "password", signInWithPassword()),
  ];
}

/** Builds the password method nodes of a registration flow. `traitNodes` adds the traits. */
export function passwordRegistrationNodes(): InputNode[] {
  return [passwordInput("new-password"), methodSubmitNode("password", "password", signUp())];
}

/** Builds the password method nodes of a settings flow. */
export function passwordSettingsNodes(): InputNode[] {
  return [passwordInput("new-password"), methodSubmitNode("password", "password", saveLabel())];
}

function passwordInput(autocomplete: InputAutocomplete): InputNode {
  return inputNode(
    "password",
    { name: "password", type: "password", required: true, autocomplete },
    passwordLabel(),
  );
}

/** A trait as the identity schema describes it, reduced to what its form node needs. */
export interface TraitField {
  /** Dotted path inside `traits`, such as `email` or `name.first`. */
  path: string;
  inputType: InputType;
  /** The schema's `title`; the label falls back to the path. */
  title?: string;
  required?: boolean;
  pattern?: string;
  maxLength?: number;
  /** The schema's `enum` values. */
  options?: unknown[];
  autocomplete?: InputAutocomplete;
}

/**
 * Maps a JSON Schema property to the input type Kratos renders for it. The formats email, tel,
 * date, date-time and uri give email, tel, date, datetime-local and url. Numbers and integers
 * give number, and booleans give checkbox.
 */
export function inputTypeOf(property: { type?: string | string[]; format?: string }): InputType {
  const types = Array.isArray(property.type) ? property.type : [property.type];
  if (types.includes("boolean")) return "checkbox";
  if (types.includes("number") || types.includes("integer")) return "number";

  switch (property.format) {
    case "email":
      return "email";
    case "tel":
      return "tel";
    case "date":
      return "date";
    case "date-time":
      return "datetime-local";
    case "uri":
      return "url";
    default:
      return "text";
  }
}

/** Builds input nodes named `traits.<path>`, prefilled from `traits` where it has a value. */
export function traitNodes(
  fields: readonly TraitField[],
  traits: Record<string, unknown>,
  group: UiNodeGroup,
): InputNode[] {
  return fields.map((field) => {
    const name = `traits.${field.path}`;
    const value = valueAtPath(traits, field.path);
    return inputNode(
      group,
      {
        name,
        type: field.inputType,
        ...(value !== undefined && { value }),
        ...(field.required === true && { required: true }),
        ...(field.autocomplete !== undefined && { autocomplete: field.autocomplete }),
        ...(field.pattern !== undefined && { pattern: field.pattern }),
        ...(field.maxLength !== undefined && { maxlength: field.maxLength }),
        ...(field.options !== undefined && { options: field.options.map((v) => ({ value: v })) }),
      },
      traitLabel(field.title ?? field.path, name),
    );
  });
}

/** Builds the profile method nodes of a settings flow: the traits and a save button. */
export function profileSettingsNodes(
  fields: readonly TraitField[],
  traits: Record<string, unknown>,
): InputNode[] {
  return [
    ...traitNodes(fields, traits, "profile"),
    methodSubmitNode("profile", "profile", saveLabel()),
  ];
}

function valueAtPath(traits: Record<string, unknown>, path: string): unknown {
  let current: unknown = traits;
  for (const segment of path.split(".")) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, segment)) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

export type CodePurpose = "login" | "registration" | "recovery" | "verification";

/** Builds the nodes that request the address for a recovery or verification code. */
export function codeAddressNodes(email = ""): InputNode[] {
  return [
    inputNode(
      "code",
      { name: "email", type: "email", value: email, required: true, autocomplete: "email" },
      emailLabel(),
    ),
    methodSubmitNode("code", "code", submitLabel()),
  ];
}

const CODE_LABELS: Record<CodePurpose, () => UiText> = {
  login: loginCodeLabel,
  registration: registrationCodeLabel,
  recovery: recoveryCodeLabel,
  verification: verificationCodeLabel,
};

/**
 * Builds the nodes shown once a code was sent: the code, its submit and a resend button.
 * Recovery and verification resend by submitting the address again as `email`, while login and
 * registration submit `resend=code`.
 * NOTE: the resend node's name and value per purpose were not checked against Kratos's source.
 */
export function codeEntryNodes(purpose: CodePurpose, email: string): InputNode[] {
  const code = inputNode(
    "code",
    { name: "code", type: "text", required: true, autocomplete: "one-time-code" },
    CODE_LABELS[purpose](),
  );
  const resend =
    purpose === "recovery" || purpose === "verification"
      ? inputNode("code", { name: "email", type: "submit", value: email }, resendCodeLabel())
      : inputNode("code", { name: "resend", type: "submit", value: "code" }, resendCodeLabel());
  const submit = methodSubmitNode(
    "code",
    "code",
    purpose === "login" ? continueLabel() : submitLabel(),
  );

  return [code, submit, resend];
}

/** Builds the `continue` link that a verification flow shows once the address is verified. */
export function verificationContinueNode(href: string): UiNode<UiNodeAnchorAttributes> {
  return anchorNode("code", { id: "continue", href, title: continueLabel() });
}
