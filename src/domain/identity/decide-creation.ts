import { resolveRecoveryAddresses, resolveVerifiableAddresses } from "./addresses.ts";
import type { CreateIdentity, CredentialIdentifiers, RegisterIdentity } from "./commands.ts";
import { accept, type Decision } from "./decision.ts";
import { type DomainError, isDomainError } from "./errors.ts";
import type { RecoveryAddressData, VerifiableAddressData } from "./events.ts";
import { checkPasswordHash, normalizeCredentialIdentifiers, requireNew } from "./guards.ts";
import type { CredentialsData, CredentialType } from "./model.ts";
import type { IdentityStreamState } from "./state.ts";

/**
 * Decides a self-service registration. It needs a password whose credential has at least one
 * identifier, and the new identity starts active with unverified addresses.
 */
export function decideRegisterIdentity(
  command: RegisterIdentity,
  state: IdentityStreamState,
): Decision {
  const conflict = requireNew(state, command.identityId);
  if (conflict) {
    return conflict;
  }
  if (!command.password) {
    return { code: "credential_missing" };
  }

  const verifiable = command.verifiableAddresses.map(({ id, value, via }) => ({ id, value, via }));
  const parts = resolveCreationParts({ ...command, verifiableAddresses: verifiable });
  if (isDomainError(parts)) {
    return parts;
  }
  if (!parts.credentials.password?.identifiers.length) {
    return { code: "credential_identifier_missing", credentialType: "password" };
  }

  return accept({
    type: "IdentityRegistered",
    data: {
      identityId: command.identityId,
      schemaId: command.schemaId,
      traits: structuredClone(command.traits),
      credentials: parts.credentials,
      verifiableAddresses: parts.verifiableAddresses,
      recoveryAddresses: parts.recoveryAddresses,
      registeredAt: command.now,
    },
  });
}

/**
 * Decides an identity created or imported by an administrator. The password is optional and may
 * be an imported hash, addresses may arrive verified, and the state defaults to active.
 */
export function decideCreateIdentity(
  command: CreateIdentity,
  state: IdentityStreamState,
): Decision {
  const conflict = requireNew(state, command.identityId);
  if (conflict) {
    return conflict;
  }

  const parts = resolveCreationParts(command);
  if (isDomainError(parts)) {
    return parts;
  }

  return accept({
    type: "IdentityCreated",
    data: {
      identityId: command.identityId,
      schemaId: command.schemaId,
      state: command.state ?? "active",
      traits: structuredClone(command.traits),
      credentials: parts.credentials,
      verifiableAddresses: parts.verifiableAddresses,
      recoveryAddresses: parts.recoveryAddresses,
      metadataPublic: structuredClone(command.metadataPublic ?? null),
      metadataAdmin: structuredClone(command.metadataAdmin ?? null),
      externalId: normalizeExternalId(command.externalId),
      createdAt: command.now,
    },
  });
}

/** Treats an empty external id as none, as Kratos's `omitempty` does. */
export function normalizeExternalId(externalId: string | null | undefined): string | null {
  return externalId ? externalId : null;
}

interface CreationParts {
  credentials: CredentialsData;
  verifiableAddresses: VerifiableAddressData[];
  recoveryAddresses: RecoveryAddressData[];
}

function resolveCreationParts(
  command: Omit<CreateIdentity, "type" | "state">,
): CreationParts | DomainError {
  if (command.schemaId.length === 0) {
    return { code: "invalid_argument", field: "schema_id", reason: "the schema id is empty" };
  }
  const hashProblem = command.password
    ? checkPasswordHash(command.password.hashedPassword, "credentials.password.hashed_password")
    : null;
  if (hashProblem) {
    return hashProblem;
  }

  const identifiers = normalizeCredentialIdentifiers(command.identifiers);
  if (isDomainError(identifiers)) {
    return identifiers;
  }
  const verifiableAddresses = resolveVerifiableAddresses(
    command.verifiableAddresses,
    [],
    command.now,
  );
  if (isDomainError(verifiableAddresses)) {
    return verifiableAddresses;
  }
  const recoveryAddresses = resolveRecoveryAddresses(command.recoveryAddresses, []);
  if (isDomainError(recoveryAddresses)) {
    return recoveryAddresses;
  }

  const credentials = credentialsData(identifiers, command.password?.hashedPassword);
  return { credentials, verifiableAddresses, recoveryAddresses };
}

function credentialsData(
  identifiers: CredentialIdentifiers,
  hashedPassword: string | undefined,
): CredentialsData {
  const credentials: CredentialsData = {};
  for (const [type, values] of Object.entries(identifiers) as [CredentialType, string[]][]) {
    credentials[type] = { identifiers: values, config: {} };
  }
  if (hashedPassword !== undefined) {
    credentials.password = {
      identifiers: credentials.password?.identifiers ?? [],
      config: { hashedPassword },
    };
  }
  return credentials;
}
