import type { UiMessage } from "./messages.ts";

/** An identity's traits: the JSON object its identity schema describes under `traits`. */
export type Traits = Record<string, unknown>;

/** One reason traits were rejected, attached to the field it concerns. */
export interface TraitFailure {
  /** JSON pointer into the identity document, e.g. `/traits/email`. */
  pointer: string;
  /** Dotted form of the pointer, which is also the UI node name, e.g. `traits.email`. */
  path: string;
  message: UiMessage;
}

/** Why a traits operation failed: an unknown schema id, or traits that do not validate. */
export type TraitsError =
  | { kind: "schema_not_found"; schemaId: string }
  | { kind: "invalid_traits"; failures: TraitFailure[] };

export type TraitsResult<T> = { ok: true; value: T } | { ok: false; error: TraitsError };

/** Channel a code or link is sent through. */
export type AddressChannel = "email" | "sms";

/** A normalised address taken from a trait, such as a verifiable or recovery address. */
export interface TraitAddress {
  value: string;
  via: AddressChannel;
}

/** Normalised identifiers, addresses and names that the `ory.sh/kratos` extension marks. */
export interface ExtractedTraits {
  /** Identifiers per credential type, deduplicated in schema order. */
  credentialIdentifiers: {
    password: string[];
    webauthn: string[];
    code: string[];
  };
  /** Addresses a login or registration code can be sent to. */
  codeAddresses: TraitAddress[];
  verifiableAddresses: TraitAddress[];
  recoveryAddresses: TraitAddress[];
  /** Account name shown in authenticator apps; the first marked trait wins. */
  totpAccountName?: string;
  /** Display name for passkeys; the first marked trait wins. */
  passkeyDisplayName?: string;
}

/** Valid traits and what was extracted from them. */
export interface ValidatedTraits {
  traits: Traits;
  extracted: ExtractedTraits;
}

/** Input type of a UI node built from a trait, as Kratos derives it from the schema. */
export type TraitInputType =
  | "text"
  | "email"
  | "tel"
  | "url"
  | "date"
  | "datetime-local"
  | "number"
  | "checkbox";

/** A trait described for the UI, enough to build Kratos's profile and registration nodes. */
export interface TraitField {
  /** Node name, e.g. `traits.name.first`. */
  name: string;
  type: TraitInputType;
  /** True when the trait is in its parent object's `required` list. */
  required: boolean;
  /** The schema's `title`, which Kratos shows as the label (message 1070002). */
  title?: string;
  autocomplete?: "email" | "tel" | "url";
  pattern?: string;
  maxLength?: number;
  /** Allowed values from the schema's `enum`. */
  options?: unknown[];
}

/** One entry of `GET /schemas`, Kratos's `identitySchemaContainer`. */
export interface IdentitySchemaContainer {
  id: string;
  schema: Record<string, unknown>;
}
