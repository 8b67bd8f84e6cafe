import type { RequestRecoveryMessage, RequestVerificationMessage } from "./commands.ts";
import { accept, type Decision } from "./decision.ts";
import { type DomainError, isDomainError } from "./errors.ts";
import type { MessageRequestData } from "./events.ts";
import { requireExisting } from "./guards.ts";
import { normalizeIdentifier } from "./identifier.ts";
import type { Identity } from "./model.ts";
import type { IdentityStreamState } from "./state.ts";

const codePattern = /^\d{6}$/;
const maxLinkLength = 2048;
const codeTemplates: ReadonlySet<string> = new Set([
  "verification_code_valid",
  "recovery_code_valid",
]);

/**
 * Decides that a verification code or link goes to the verifiable address with the command's
 * channel and value. The address may be verified already, because asking again is harmless and
 * the caller responds the same way either way. Returns `address_not_found` for any other address.
 */
export function decideRequestVerificationMessage(
  command: RequestVerificationMessage,
  state: IdentityStreamState,
): Decision {
  const existing = requireExisting(state, command.identityId);
  if (isDomainError(existing)) {
    return existing;
  }
  const request = buildRequestData(command, existing.identity.verifiableAddresses);
  if (isDomainError(request)) {
    return request;
  }
  return accept({ type: "VerificationMessageRequested", data: request.data });
}

/**
 * Decides that a recovery code or link goes to the recovery address with the command's channel
 * and value. An inactive identity cannot recover, so it gets `identity_inactive`.
 */
export function decideRequestRecoveryMessage(
  command: RequestRecoveryMessage,
  state: IdentityStreamState,
): Decision {
  const existing = requireExisting(state, command.identityId);
  if (isDomainError(existing)) {
    return existing;
  }
  if (existing.identity.state !== "active") {
    return { code: "identity_inactive", identityId: command.identityId };
  }
  const request = buildRequestData(command, existing.identity.recoveryAddresses);
  if (isDomainError(request)) {
    return request;
  }
  return accept({ type: "RecoveryMessageRequested", data: request.data });
}

// The command's code or link is checked against the template but left out of the data, because
// the event log must never hold a usable secret. The result wraps the data, so that
// `isDomainError`, which looks for a `code` field, never inspects event data.
function buildRequestData<Command extends RequestVerificationMessage | RequestRecoveryMessage>(
  command: Command,
  addresses: Identity["recoveryAddresses"] | Identity["verifiableAddresses"],
): { data: MessageRequestData<Command["template"]> } | DomainError {
  const invalid = checkMessageContent(command);
  if (invalid) {
    return invalid;
  }
  const value = normalizeIdentifier(command.address, "address");
  if (typeof value !== "string") {
    return value;
  }
  const address = addresses.find(
    (candidate) => candidate.via === command.via && candidate.value === value,
  );
  if (!address) {
    return { code: "address_not_found", via: command.via };
  }

  const data: MessageRequestData<Command["template"]> = {
    identityId: command.identityId,
    messageId: command.messageId,
    flowId: command.flowId,
    template: command.template,
    addressId: address.id,
    via: address.via,
    address: address.value,
    expiresAt: command.expiresAt,
    requestedAt: command.now,
  };
  return { data };
}

/** Checks the channel, the code or link that the template needs, and the expiry. */
function checkMessageContent(
  command: RequestVerificationMessage | RequestRecoveryMessage,
): DomainError | null {
  if (command.via !== "email") {
    return { code: "invalid_argument", field: "via", reason: "the courier sends email only" };
  }
  if (codeTemplates.has(command.template)) {
    if (command.code === undefined || !codePattern.test(command.code)) {
      return { code: "invalid_argument", field: "code", reason: "a code is six decimal digits" };
    }
    if (command.link !== undefined) {
      return { code: "invalid_argument", field: "link", reason: "a code template has no link" };
    }
  } else {
    if (command.link === undefined || !isHttpUrl(command.link)) {
      return { code: "invalid_argument", field: "link", reason: "a link is an http(s) URL" };
    }
    if (command.code !== undefined) {
      return { code: "invalid_argument", field: "code", reason: "a link template has no code" };
    }
  }
  if (!(Date.parse(command.expiresAt) > Date.parse(command.now))) {
    return { code: "invalid_argument", field: "expiresAt", reason: "it is not after now" };
  }
  return null;
}

function isHttpUrl(value: string): boolean {
  if (value.length > maxLinkLength || !URL.canParse(value)) {
    return false;
  }
  const { protocol } = new URL(value);
  return protocol === "https:" || protocol === "http:";
}
