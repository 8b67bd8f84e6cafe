import { MESSAGE_CATALOGUE, type MessageId, type MessageType } from "./message-catalogue.ts";

export type { MessageId, MessageType } from "./message-catalogue.ts";

/** Kratos's `uiText`: a message with a numeric id, English text, type and optional context. */
export interface UiText {
  id: number;
  text: string;
  type: MessageType;
  context?: Record<string, unknown>;
}

type Values = Record<string, unknown>;

/**
 * Builds the message `id` from the catalogue. `context` is sent to the client, while `display`
 * only fills the English text. Throws when the template needs a value that neither provides,
 * because that is a programming error.
 */
export function uiText(id: MessageId, context: Values = {}, display: Values = {}): UiText {
  const definition = MESSAGE_CATALOGUE[id];
  const values: Values = { ...context, ...display };
  const text = definition.template.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!Object.hasOwn(values, name)) throw new Error(`message ${id} needs the value "${name}"`);
    return formatValue(values[name]);
  });

  const message: UiText = { id, text, type: definition.type };
  if (definition.context.length > 0) message.context = pickContext(definition.context, context);
  return message;
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(formatValue).join(", ");
  return String(value);
}

function pickContext(keys: readonly string[], context: Values): Values {
  const picked: Values = {};
  for (const key of keys) {
    if (context[key] !== undefined) picked[key] = context[key];
  }
  return picked;
}

function minutesBetween(from: Date, to: Date): string {
  return (Math.abs(to.getTime() - from.getTime()) / 60_000).toFixed(2);
}

function unixSeconds(time: Date): number {
  return Math.floor(time.getTime() / 1000);
}

function flowExpired(id: 4010001 | 4040001 | 4050001 | 4060005 | 4070005) {
  return (expiredAt: Date, now: Date): UiText =>
    uiText(
      id,
      { expired_at: expiredAt.toISOString(), expired_at_unix: unixSeconds(expiredAt) },
      { expired_minutes: minutesBetween(expiredAt, now) },
    );
}

const METHOD_NAMES: Record<string, string> = {
  password: "your password",
  code: "a code sent to your address",
  passkey: "your passkey",
  webauthn: "your security key",
  totp: "your authenticator app",
  lookup_secret: "a backup recovery code",
};

// Login
export const signIn = () => uiText(1010001);
export const signInWith = (provider: string, providerId = provider) =>
  uiText(1010002, { provider, provider_id: providerId });
export const confirmIdentity = () => uiText(1010003);
export const completeSecondFactor = () => uiText(1010004);
export const authenticationCodeLabel = () => uiText(1010006);
export const loginCodeSent = () => uiText(1010014);
export const signInWithPassword = () => uiText(1010022);
export const sendCodeTo = (address: string, channel: "email" | "sms") =>
  uiText(1010023, { address, channel });

export interface LinkCredentialsContext {
  duplicateIdentifier: string;
  provider: string;
  newLoginUrl: string;
  availableCredentialTypes: string[];
  availableProviders: string[];
}

export function linkCredentialsOnLogin(input: LinkCredentialsContext): UiText {
  return uiText(1010016, {
    duplicate_identifier: input.duplicateIdentifier,
    provider: input.provider,
    new_login_url: input.newLoginUrl,
    available_credential_types: input.availableCredentialTypes,
    available_providers: input.availableProviders,
  });
}

// Registration
export const signUp = () => uiText(1040001);
export const registrationCodeSent = () => uiText(1040005);
export const chooseCredential = () => uiText(1040009);

// Settings
export const settingsSaved = () => uiText(1050001);

// Recovery
export const accountRecovered = (privilegedSessionExpiresAt: Date, now: Date) =>
  uiText(
    1060001,
    {
      privileged_session_expires_at: privilegedSessionExpiresAt.toISOString(),
      privileged_session_expires_at_unix: unixSeconds(privilegedSessionExpiresAt),
    },
    { minutes: minutesBetween(now, privilegedSessionExpiresAt) },
  );
export const recoveryLinkSent = () => uiText(1060002);
export const recoveryCodeSent = () => uiText(1060003);

// Node labels
export const passwordLabel = () => uiText(1070001);
export const traitLabel = (title: string, name: string) => uiText(1070002, { title, name });
export const saveLabel = () => uiText(1070003);
export const identifierLabel = () => uiText(1070004);
export const submitLabel = () => uiText(1070005);
export const emailLabel = () => uiText(1070007);
export const resendCodeLabel = () => uiText(1070008);
export const continueLabel = () => uiText(1070009);
export const recoveryCodeLabel = () => uiText(1070010);
export const verificationCodeLabel = () => uiText(1070011);
export const registrationCodeLabel = () => uiText(1070012);
export const loginCodeLabel = () => uiText(1070013);

// Verification
export const verificationLinkSent = () => uiText(1080001);
export const addressVerified = () => uiText(1080002);
export const verificationCodeSent = () => uiText(1080003);

// Validation
export const validationFailed = (reason: string) => uiText(4000001, { reason });
export const propertyMissing = (property: string) => uiText(4000002, { property });
export const tooShort = (minLength: number, actualLength: number) =>
  uiText(4000003, { min_length: minLength, actual_length: actualLength });
export const invalidFormat = (format: string, value: string) => uiText(4000004, { format, value });
export const passwordPolicyViolation = (reason: string) => uiText(4000005, { reason });
export const invalidCredentials = () => uiText(4000006);
export const duplicateCredentials = () => uiText(4000007);
export const invalidTotpCode = () => uiText(4000008);
export const identifierMissing = () => uiText(4000009);
export const addressNotVerified = () => uiText(4000010);
export const noTotpDevice = () => uiText(4000011);
export const lookupSecretAlreadyUsed = () => uiText(4000012);
export const noWebAuthnDevice = () => uiText(4000013);
export const noLookupSecrets = () => uiText(4000014);
export const noWebAuthnIdentity = () => uiText(4000015);
export const invalidLookupSecret = () => uiText(4000016);
export const tooLong = (maxLength: number, actualLength: number) =>
  uiText(4000017, { max_length: maxLength, actual_length: actualLength });
export const belowMinimum = (minimum: number, actual: number) =>
  uiText(4000018, { minimum, actual });
export const notAboveExclusiveMinimum = (minimum: number, actual: number) =>
  uiText(4000019, { minimum, actual });
export const aboveMaximum = (maximum: number, actual: number) =>
  uiText(4000020, { maximum, actual });
export const notBelowExclusiveMaximum = (maximum: number, actual: number) =>
  uiText(4000021, { maximum, actual });
export const notMultipleOf = (base: number, actual: number) => uiText(4000022, { base, actual });
export const tooManyItems = (maxItems: number, actualItems: number) =>
  uiText(4000023, { max_items: maxItems, actual_items: actualItems });
export const tooFewItems = (minItems: number, actualItems: number) =>
  uiText(4000024, { min_items: minItems, actual_items: actualItems });
export const duplicateItems = (indexA: number, indexB: number) =>
  uiText(4000025, { index_a: indexA, index_b: indexB });
export const wrongType = (allowedTypes: string[], actualType: string) =>
  uiText(
    4000026,
    { allowed_types: allowedTypes, actual_type: actualType },
    { allowed_types_list: allowedTypes.join(" or ") },
  );
export const duplicateCredentialsOnOidcLink = () => uiText(4000027);
export const constantMismatch = (expected: unknown) =>
  uiText(4000029, { expected }, { expected: JSON.stringify(expected) });
export const constantMismatchGeneric = () => uiText(4000030);
export const passwordTooSimilar = () => uiText(4000031);
export const passwordTooShort = (minLength: number, actualLength: number) =>
  uiText(4000032, { min_length: minLength, actual_length: actualLength });
export const passwordTooLong = (maxLength: number, actualLength: number) =>
  uiText(4000033, { max_length: maxLength, actual_length: actualLength });
export const passwordBreached = (breaches: number) => uiText(4000034, { breaches });
export const noCodeCredential = () => uiText(4000035);
export const traitsMismatch = () => uiText(4000036);
export const accountNotFound = () => uiText(4000037);
export const captchaFailed = () => uiText(4000038);
export const passwordSameAsOld = () => uiText(4000039);
export const invalidEmail = (value: string) => uiText(4000040, { value });

export interface DuplicateWithHintsContext {
  credentialIdentifierHint: string;
  availableCredentialTypes: string[];
  availableOidcProviders: string[];
}

/** Builds message 4000028, which lists how the identity that has the identifier signs in. */
export function duplicateCredentialsWithHints(input: DuplicateWithHintsContext): UiText {
  const methods = input.availableCredentialTypes
    .filter((type) => type !== "oidc")
    .map((type) => METHOD_NAMES[type] ?? type)
    .concat(input.availableOidcProviders);

  return uiText(
    4000028,
    {
      available_credential_types: input.availableCredentialTypes,
      available_oidc_providers: input.availableOidcProviders,
      credential_identifier_hint: input.credentialIdentifierHint,
    },
    { available_methods: methods.length > 0 ? methods.join(" or ") : "another method" },
  );
}

// Flow errors
export const loginFlowExpired = flowExpired(4010001);
export const loginStrategyNotFound = () => uiText(4010002);
export const registrationStrategyNotFound = () => uiText(4010003);
export const invalidLoginCode = () => uiText(4010008);
export const identityDisabledText = () => uiText(4010011);
export const registrationFlowExpired = flowExpired(4040001);
export const invalidRegistrationCode = () => uiText(4040003);
export const settingsFlowExpired = flowExpired(4050001);
export const invalidRecoveryToken = () => uiText(4060004);
export const recoveryFlowExpired = flowExpired(4060005);
export const invalidRecoveryCode = () => uiText(4060006);
export const invalidVerificationToken = () => uiText(4070001);
export const verificationFlowExpired = flowExpired(4070005);
export const invalidVerificationCode = () => uiText(4070006);

// System
export const systemError = (reason: string) => uiText(5000001, { reason });
