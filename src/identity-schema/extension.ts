import type { AnySchemaObject, FuncKeywordDefinition } from "ajv";

/** The key under which identity schemas carry Kratos's extension. */
export const EXTENSION_KEY = "ory.sh/kratos";

// Ajv only registers keyword names matching /^[a-z_$][a-z0-9_$:-]*$/i, so it cannot register
// `ory.sh/kratos` itself. Schemas are compiled from a copy in which the extension sits under
// this name instead. The schema served by `GET /schemas` keeps the original key.
export const EXTENSION_KEYWORD = "x-ory-sh-kratos";

type Channel = "email" | "sms";

/** The `ory.sh/kratos` extension of one schema property. */
export interface KratosExtension {
  credentials?: {
    password?: { identifier?: boolean };
    webauthn?: { identifier?: boolean };
    passkey?: { display_name?: boolean };
    totp?: { account_name?: boolean };
    code?: { identifier?: boolean; via?: Channel };
  };
  verification?: { via?: Channel };
  recovery?: { via?: Channel };
  organizations?: { matcher?: "email_domain" };
}

/** A value in the traits whose schema property carries the extension, met during validation. */
export interface ExtensionHit {
  /** JSON pointer of the value, e.g. `/traits/email`. */
  pointer: string;
  extension: KratosExtension;
  value: unknown;
}

/** Context passed to Ajv's validate function. The extension keyword appends to `hits`. */
export interface ExtensionCollector {
  hits: ExtensionHit[];
}

function flags(names: string[], extra: Record<string, unknown> = {}): AnySchemaObject {
  const properties: Record<string, unknown> = { ...extra };
  for (const name of names) properties[name] = { type: "boolean" };
  return { type: "object", properties, additionalProperties: false };
}

const channel = { enum: ["email", "sms"] };

// Unknown keys are rejected so that a misspelt `identifier` stops start-up instead of silently
// leaving an identity without a login identifier.
const extensionMetaSchema: AnySchemaObject = {
  type: "object",
  additionalProperties: false,
  properties: {
    credentials: {
      type: "object",
      additionalProperties: false,
      properties: {
        password: flags(["identifier"]),
        webauthn: flags(["identifier"]),
        passkey: flags(["display_name"]),
        totp: flags(["account_name"]),
        code: flags(["identifier"], { via: channel }),
      },
    },
    verification: { type: "object", additionalProperties: false, properties: { via: channel } },
    recovery: { type: "object", additionalProperties: false, properties: { via: channel } },
    organizations: {
      type: "object",
      additionalProperties: false,
      properties: { matcher: { enum: ["email_domain"] } },
    },
  },
};

const VERIFIABLE_FORMATS = ["email", "tel", "date", "time", "date-time", "no-validate"];

/** Rejects extension settings that Kratos rejects for the property they sit on. */
function checkPlacement(extension: KratosExtension, parentSchema: AnySchemaObject): void {
  if (extension.verification === undefined) return;

  const format = parentSchema.format;
  if (typeof format !== "string" || !VERIFIABLE_FORMATS.includes(format)) {
    throw new Error(
      `a property with "verification" must have a format of ${VERIFIABLE_FORMATS.join(", ")}`,
    );
  }
}

/** Ajv keyword that validates the extension at compile time and records hits at validation. */
export const extensionKeyword: FuncKeywordDefinition = {
  keyword: EXTENSION_KEYWORD,
  schemaType: "object",
  metaSchema: extensionMetaSchema,
  errors: false,
  compile(extension: KratosExtension, parentSchema: AnySchemaObject) {
    checkPlacement(extension, parentSchema);

    return function recordHit(
      this: ExtensionCollector | undefined,
      value: unknown,
      dataContext?: { instancePath: string },
    ): boolean {
      this?.hits?.push({ pointer: dataContext?.instancePath ?? "", extension, value });
      return true;
    };
  },
};
