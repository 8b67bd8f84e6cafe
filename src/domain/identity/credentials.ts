import type { Timestamp } from "../event.ts";
import type { CredentialIdentifiers } from "./commands.ts";
import type { IdentifierChange } from "./events.ts";
import type {
  Credential,
  CredentialData,
  Credentials,
  CredentialsData,
  CredentialType,
} from "./model.ts";

/** Lists the credential entries of a credentials object with their types. */
export function credentialEntries(credentials: Credentials): [CredentialType, Credential][];
export function credentialEntries(credentials: CredentialsData): [CredentialType, CredentialData][];
export function credentialEntries(credentials: object): [CredentialType, CredentialData][] {
  return Object.entries(credentials).filter(
    (entry): entry is [CredentialType, CredentialData] => entry[1] !== undefined,
  );
}

/** Turns the credential entries of a creation event into credentials created at `at`. */
export function buildCredentials(data: CredentialsData, at: Timestamp): Credentials {
  const credentials: Record<string, Credential> = {};
  for (const [type, entry] of credentialEntries(data)) {
    credentials[type] = {
      type,
      identifiers: [...entry.identifiers],
      config: structuredClone(entry.config),
      version: 0,
      createdAt: at,
      updatedAt: at,
    };
  }
  return credentials as Credentials;
}

/** Returns the identifiers of each credential type that has any. */
export function identifiersOf(credentials: Credentials): CredentialIdentifiers {
  const identifiers: CredentialIdentifiers = {};
  for (const [type, credential] of credentialEntries(credentials)) {
    if (credential.identifiers.length > 0) {
      identifiers[type] = [...credential.identifiers];
    }
  }
  return identifiers;
}

/**
 * Applies identifier changes. A type that gains identifiers without having a credential gets
 * one with an empty configuration, as Kratos does for schema identifiers. A credential left with
 * no identifiers and an empty configuration is removed.
 */
export function applyIdentifierChanges(
  credentials: Credentials,
  added: readonly IdentifierChange[],
  removed: readonly IdentifierChange[],
  at: Timestamp,
): Credentials {
  const next: Record<string, Credential> = { ...credentials };
  const touched = new Set<CredentialType>([
    ...added.map((change) => change.credentialType),
    ...removed.map((change) => change.credentialType),
  ]);

  for (const type of touched) {
    const current = next[type] ?? emptyCredential(type, at);
    const dropped = new Set(
      removed.filter((change) => change.credentialType === type).map((c) => c.identifier),
    );
    const identifiers = current.identifiers.filter((identifier) => !dropped.has(identifier));
    for (const change of added) {
      if (change.credentialType === type && !identifiers.includes(change.identifier)) {
        identifiers.push(change.identifier);
      }
    }

    if (identifiers.length === 0 && Object.keys(current.config).length === 0) {
      delete next[type];
    } else {
      next[type] = { ...current, identifiers, updatedAt: at };
    }
  }
  return next as Credentials;
}

/** Sets the password hash, creating the password credential when the identity has none. */
export function setPasswordHash(
  credentials: Credentials,
  hashedPassword: string,
  at: Timestamp,
): Credentials {
  const current = credentials.password ?? emptyCredential("password", at);
  return {
    ...credentials,
    password: { ...current, config: { ...current.config, hashedPassword }, updatedAt: at },
  };
}

/**
 * Computes the changes that turn the current identifiers into the requested ones. Both sides
 * must be normalized already.
 */
export function diffIdentifiers(
  current: CredentialIdentifiers,
  requested: CredentialIdentifiers,
): { added: IdentifierChange[]; removed: IdentifierChange[] } {
  const added: IdentifierChange[] = [];
  const removed: IdentifierChange[] = [];
  const types = new Set([
    ...Object.keys(current),
    ...Object.keys(requested),
  ]) as Set<CredentialType>;

  for (const credentialType of types) {
    const before = new Set(current[credentialType] ?? []);
    const after = new Set(requested[credentialType] ?? []);
    for (const identifier of after) {
      if (!before.has(identifier)) added.push({ credentialType, identifier });
    }
    for (const identifier of before) {
      if (!after.has(identifier)) removed.push({ credentialType, identifier });
    }
  }
  return { added, removed };
}

function emptyCredential<Type extends CredentialType>(type: Type, at: Timestamp): Credential<Type> {
  const credential: Credential = {
    type,
    identifiers: [],
    config: {},
    version: 0,
    createdAt: at,
    updatedAt: at,
  };
  return credential as Credential<Type>;
}
