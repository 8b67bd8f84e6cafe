import { credentialEntries } from "./credentials.ts";
import type { IdentityEvent } from "./events.ts";
import { evolveIdentity } from "./evolve.ts";
import type { AddressChannel, CredentialType } from "./model.ts";
import type { IdentityStreamState } from "./state.ts";

/**
 * A unique value an identity holds, in plaintext. The command layer turns `value` into the
 * HMAC key that the event store keeps, so the plaintext is never stored.
 */
export interface UniqueValue {
  /**
   * `identifier:<credential type>`, `verifiable_address:<via>`, `recovery_address:<via>` or
   * `external_id`.
   */
  type: string;
  /** Normalized identifier or address, or the external id as given. */
  value: string;
}

/** Builds claim types, so that every caller spells them the same way. */
export const uniqueValueTypes = {
  identifier: (credentialType: CredentialType) => `identifier:${credentialType}`,
  verifiableAddress: (via: AddressChannel) => `verifiable_address:${via}`,
  recoveryAddress: (via: AddressChannel) => `recovery_address:${via}`,
  externalId: "external_id",
} as const;

/**
 * Lists the unique values of an identity: its identifiers per credential type (Kratos keeps them
 * unique per type), its verifiable and recovery addresses per channel, and its external id.
 * A new or removed stream has none.
 */
export function uniqueValuesOf(state: IdentityStreamState): UniqueValue[] {
  if (state.status !== "existing") {
    return [];
  }

  const { identity } = state;
  const values: UniqueValue[] = [];
  for (const [type, credential] of credentialEntries(identity.credentials)) {
    for (const identifier of credential.identifiers) {
      values.push({ type: uniqueValueTypes.identifier(type), value: identifier });
    }
  }
  for (const address of identity.verifiableAddresses) {
    values.push({ type: uniqueValueTypes.verifiableAddress(address.via), value: address.value });
  }
  for (const address of identity.recoveryAddresses) {
    values.push({ type: uniqueValueTypes.recoveryAddress(address.via), value: address.value });
  }
  if (identity.externalId !== null) {
    values.push({ type: uniqueValueTypes.externalId, value: identity.externalId });
  }
  return values;
}

/**
 * Computes the claims and releases an append needs: the unique values the identity holds after
 * `events` but not before, and those it held before but no longer. Erasure and deletion release
 * every value.
 */
export function claimChanges(
  before: IdentityStreamState,
  events: readonly IdentityEvent[],
): { claims: UniqueValue[]; releases: UniqueValue[] } {
  const after = events.reduce(evolveIdentity, before);
  const valuesBefore = uniqueValuesOf(before);
  const valuesAfter = uniqueValuesOf(after);
  const keyOf = (entry: UniqueValue) => `${entry.type}\u0000${entry.value}`;
  const keysBefore = new Set(valuesBefore.map(keyOf));
  const keysAfter = new Set(valuesAfter.map(keyOf));

  return {
    claims: dedupe(
      valuesAfter.filter((entry) => !keysBefore.has(keyOf(entry))),
      keyOf,
    ),
    releases: dedupe(
      valuesBefore.filter((entry) => !keysAfter.has(keyOf(entry))),
      keyOf,
    ),
  };
}

function dedupe(values: UniqueValue[], keyOf: (entry: UniqueValue) => string): UniqueValue[] {
  const seen = new Map(values.map((entry) => [keyOf(entry), entry]));
  return [...seen.values()];
}
