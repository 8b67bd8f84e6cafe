export { MAX_TRAITS_BYTES, MAX_TRAITS_DEPTH } from "./input-guard.ts";
export {
  BUNDLED_DEFAULT_SCHEMA_URL,
  defaultIdentitySchemaConfig,
  type IdentitySchemaConfig,
  type IdentitySchemaSource,
  loadIdentitySchemas,
} from "./load.ts";
export { type UiMessage, ValidationMessageId } from "./messages.ts";
export {
  isEmailAddress,
  isPhoneNumber,
  normalizeAddress,
  normalizeIdentifier,
} from "./normalize.ts";
export {
  type IdentitySchemaDocument,
  IdentitySchemaError,
  type IdentitySchemaErrorCode,
  IdentitySchemaRegistry,
} from "./registry.ts";
export { decodeSchemaId, encodeSchemaId, schemaUrl } from "./schema-id.ts";
export type * from "./types.ts";
