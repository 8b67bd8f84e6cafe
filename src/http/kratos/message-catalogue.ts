export type MessageType = "info" | "error" | "success";

/**
 * A UI text message. `template` fills `{name}` placeholders from the context keys, which Kratos
 * clients read to translate by id, and from display-only values that exist for the English text.
 */
export interface MessageDefinition {
  type: MessageType;
  template: string;
  context: readonly string[];
  display: readonly string[];
}

function info(template: string, context: string[] = [], display: string[] = []) {
  return { type: "info", template, context, display } as const;
}

function success(template: string, context: string[] = [], display: string[] = []) {
  return { type: "success", template, context, display } as const;
}

function error(template: string, context: string[] = [], display: string[] = []) {
  return { type: "error", template, context, display } as const;
}

const EXPIRED = ["expired_at", "expired_at_unix"];

// Ids, types and context keys follow Kratos's text package, so that @ory/elements-react
// translates them. Texts follow Kratos's American English where its API reference quotes them.
// NOTE: the ids 1070003, 1070005, 1070007-1070013, 4000004, 4000009, 4000011, 4000013-4000015,
// 4000017-4000019, 4000021-4000027, 4000029, 4000030, 4000036, 4000038, 4070001 and the texts
// of all messages the reference abridges were not checked against Kratos's source.
export const MESSAGE_CATALOGUE = {
  // Login (101xxxx)
  1010001: info("Sign in"),
  1010002: info("Sign in with {provider}", ["provider", "provider_id"]),
  1010003: info("Please confirm this action by verifying that it is you."),
  1010004: info("Please complete the second authentication challenge."),
  1010006: info("Authentication code"),
  1010014: info(
    "A code was sent to the address you provided. If you did not receive it, check the spelling of the address and try again.",
  ),
  1010016: info(
    'You tried to sign in with "{duplicate_identifier}", but that email is already used by another account. Sign in with one of the methods below to link your "{provider}" account to it.',
    [
      "duplicate_identifier",
      "provider",
      "new_login_url",
      "available_credential_types",
      "available_providers",
    ],
  ),
  1010022: info("Sign in with password"),
  1010023: info("Send code to {address}", ["address", "channel"]),

  // Registration (104xxxx)
  1040001: info("Sign up"),
  1040005: info(
    "A code has been sent to the address(es) you provided. If you did not receive it, check the spelling of the address and try again.",
  ),
  1040009: info("Please choose a credential to authenticate yourself with."),

  // Settings (105xxxx)
  1050001: success("Your changes have been saved!"),

  // Recovery (106xxxx)
  1060001: success(
    "You successfully recovered your account. Please change your password or set up an alternative login method within the next {minutes} minutes.",
    ["privileged_session_expires_at", "privileged_session_expires_at_unix"],
    ["minutes"],
  ),
  1060002: info(
    "An email containing a recovery link has been sent to the email address you provided. If you did not receive it, check the spelling of the address and use the address you registered with.",
  ),
  1060003: info(
    "An email containing a recovery code has been sent to the email address you provided. If you did not receive it, check the spelling of the address and use the address you registered with.",
  ),

  // Node labels (107xxxx)
  1070001: info("Password"),
  1070002: info("{title}", ["title", "name"]),
  1070003: info("Save"),
  1070004: info("ID"),
  1070005: info("Submit"),
  1070007: info("Email"),
  1070008: info("Resend code"),
  1070009: info("Continue"),
  1070010: info("Recovery code"),
  1070011: info("Verification code"),
  1070012: info("Registration code"),
  1070013: info("Login code"),

  // Verification (108xxxx)
  1080001: info(
    "An email containing a verification link has been sent to the email address you provided. If you did not receive it, check the spelling of the address.",
  ),
  1080002: success("You successfully verified your email address."),
  1080003: info(
    "An email containing a verification code has been sent to the email address you provided. If you did not receive it, check the spelling of the address.",
  ),

  // Validation (400xxxx)
  4000001: error("{reason}", ["reason"]),
  4000002: error("Property {property} is missing.", ["property"]),
  4000003: error("length must be >= {min_length}, but got {actual_length}", [
    "min_length",
    "actual_length",
  ]),
  4000004: error('"{value}" is not valid "{format}"', ["format", "value"]),
  4000005: error("The password can not be used because {reason}.", ["reason"]),
  4000006: error(
    "The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.",
  ),
  4000007: error(
    "An account with the same identifier (email, phone, username, ...) exists already.",
  ),
  4000008: error("The provided authentication code is invalid, please try again."),
  4000009: error(
    "Could not find any login identifiers. Check that the identity schema marks a trait as a credential identifier.",
  ),
  4000010: error("Account not active yet. Did you forget to verify your email address?"),
  4000011: error("You have no TOTP device set up."),
  4000012: error("This backup recovery code has already been used."),
  4000013: error("You have no WebAuthn device set up."),
  4000014: error("You have no backup recovery codes set up."),
  4000015: error("This account does not exist or has no security key set up."),
  4000016: error("The backup recovery code is not valid."),
  4000017: error("length must be <= {max_length}, but got {actual_length}", [
    "max_length",
    "actual_length",
  ]),
  4000018: error("must be >= {minimum} but found {actual}", ["minimum", "actual"]),
  4000019: error("must be > {minimum} but found {actual}", ["minimum", "actual"]),
  4000020: error("must be <= {maximum} but found {actual}", ["maximum", "actual"]),
  4000021: error("must be < {maximum} but found {actual}", ["maximum", "actual"]),
  4000022: error("{actual} is not a multiple of {base}", ["base", "actual"]),
  4000023: error("maximum {max_items} items allowed, but found {actual_items} items", [
    "max_items",
    "actual_items",
  ]),
  4000024: error("minimum {min_items} items allowed, but found {actual_items} items", [
    "min_items",
    "actual_items",
  ]),
  4000025: error("items at index {index_a} and {index_b} are equal", ["index_a", "index_b"]),
  4000026: error(
    "expected {allowed_types_list}, but got {actual_type}",
    ["allowed_types", "actual_type"],
    ["allowed_types_list"],
  ),
  4000027: error(
    "An account with the same identifier (email, phone, username, ...) exists already. Sign in to the existing account to link your social profile.",
  ),
  4000028: error(
    "You tried signing in with {credential_identifier_hint} which is already in use by another account. You can sign in using {available_methods}.",
    ["available_credential_types", "available_oidc_providers", "credential_identifier_hint"],
    ["available_methods"],
  ),
  4000029: error("must be equal to constant {expected}", ["expected"]),
  4000030: error("The value does not match the required constant."),
  4000031: error("The password can not be used because it is too similar to the identifier."),
  4000032: error(
    "The password must be at least {min_length} characters long, but got {actual_length}.",
    ["min_length", "actual_length"],
  ),
  4000033: error(
    "The password must be at most {max_length} characters long, but got {actual_length}.",
    ["max_length", "actual_length"],
  ),
  4000034: error("The password has been found in data breaches and must no longer be used.", [
    "breaches",
  ]),
  4000035: error("This account does not exist or has not setup sign in with code."),
  4000036: error(
    "The provided traits do not match the traits previously associated with this flow.",
  ),
  4000037: error("This account does not exist or has no login method configured."),
  4000038: error("Captcha verification failed, please try again."),
  4000039: error("The new password must be different from the old password."),
  4000040: error("Enter a valid email address", ["value"]),

  // Login errors (401xxxx)
  4010001: error(
    "The login flow expired {expired_minutes} minutes ago, please try again.",
    EXPIRED,
    ["expired_minutes"],
  ),
  4010002: error(
    "Could not find a strategy to log you in with. Check that the form was filled out correctly.",
  ),
  4010003: error(
    "Could not find a strategy to sign you up with. Check that the form was filled out correctly.",
  ),
  4010008: error("The login code is invalid or has already been used. Please try again."),
  4010011: error("This account has been disabled."),

  // Registration errors (404xxxx)
  4040001: error(
    "The registration flow expired {expired_minutes} minutes ago, please try again.",
    EXPIRED,
    ["expired_minutes"],
  ),
  4040003: error("The registration code is invalid or has already been used. Please try again."),

  // Settings errors (405xxxx)
  4050001: error(
    "The settings flow expired {expired_minutes} minutes ago, please try again.",
    EXPIRED,
    ["expired_minutes"],
  ),

  // Recovery errors (406xxxx)
  4060004: error("The recovery token is invalid or has already been used. Please retry the flow."),
  4060005: error(
    "The recovery flow expired {expired_minutes} minutes ago, please try again.",
    EXPIRED,
    ["expired_minutes"],
  ),
  4060006: error("The recovery code is invalid or has already been used. Please try again."),

  // Verification errors (407xxxx)
  4070001: error(
    "The verification token is invalid or has already been used. Please retry the flow.",
  ),
  4070005: error(
    "The verification flow expired {expired_minutes} minutes ago, please try again.",
    EXPIRED,
    ["expired_minutes"],
  ),
  4070006: error("The verification code is invalid or has already been used. Please try again."),

  // System errors (500xxxx)
  5000001: error("{reason}", ["reason"]),
} satisfies Record<number, MessageDefinition>;

export type MessageId = keyof typeof MESSAGE_CATALOGUE;
