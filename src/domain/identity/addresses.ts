import type { Timestamp } from "../event.ts";
import type { AddressInput, VerifiableAddressInput } from "./commands.ts";
import type { DomainError } from "./errors.ts";
import type { RecoveryAddressData, VerifiableAddressData } from "./events.ts";
import { normalizeIdentifier } from "./identifier.ts";
import type { RecoveryAddress, VerifiableAddress } from "./model.ts";

type Keyed = { via: string; value: string };

const keyOf = (address: Keyed) => `${address.via}\u0000${address.value}`;

/**
 * Resolves the requested verifiable addresses against the current ones. Values are normalized
 * and duplicates dropped. An address with the same channel and value keeps its id, and keeps
 * its verification status unless the input sets `verified` or `status`. A new address takes the
 * input's id and starts `pending` unless the input marks it verified.
 */
export function resolveVerifiableAddresses(
  inputs: readonly VerifiableAddressInput[],
  current: readonly VerifiableAddress[],
  now: Timestamp,
): VerifiableAddressData[] | DomainError {
  const normalized = normalizeAddresses(inputs, "verifiable_addresses");
  if (!Array.isArray(normalized)) {
    return normalized;
  }

  const existing = new Map(current.map((address) => [keyOf(address), address]));
  return normalized.map((input) =>
    resolveVerifiableAddress(input, existing.get(keyOf(input)), now),
  );
}

function resolveVerifiableAddress(
  input: VerifiableAddressInput,
  existing: VerifiableAddress | undefined,
  now: Timestamp,
): VerifiableAddressData {
  const verified =
    input.verified ?? (input.status === "completed" || (existing?.verified ?? false));
  const base = { id: existing?.id ?? input.id, value: input.value, via: input.via };
  if (verified) {
    const verifiedAt = input.verifiedAt ?? existing?.verifiedAt ?? now;
    return { ...base, status: "completed", verified: true, verifiedAt };
  }

  const requested = input.status !== "completed" ? input.status : undefined;
  const current = existing && !existing.verified ? existing.status : undefined;
  return { ...base, status: requested ?? current ?? "pending", verified: false, verifiedAt: null };
}

/** Resolves recovery addresses like verifiable ones: normalized, deduplicated, ids kept. */
export function resolveRecoveryAddresses(
  inputs: readonly AddressInput[],
  current: readonly RecoveryAddress[],
): RecoveryAddressData[] | DomainError {
  const normalized = normalizeAddresses(inputs, "recovery_addresses");
  if (!Array.isArray(normalized)) {
    return normalized;
  }

  const existing = new Map(current.map((address) => [keyOf(address), address]));
  return normalized.map((input) => ({
    id: existing.get(keyOf(input))?.id ?? input.id,
    value: input.value,
    via: input.via,
  }));
}

function normalizeAddresses<T extends AddressInput>(
  inputs: readonly T[],
  field: string,
): T[] | DomainError {
  const seen = new Set<string>();
  const result: T[] = [];
  for (const [index, input] of inputs.entries()) {
    const value = normalizeIdentifier(input.value, `${field}[${index}].value`);
    if (typeof value !== "string") {
      return value;
    }

    const address = { ...input, value };
    if (!seen.has(keyOf(address))) {
      seen.add(keyOf(address));
      result.push(address);
    }
  }
  return result;
}

/** Builds verifiable address records from event data, keeping creation times by id. */
export function toVerifiableAddresses(
  data: readonly VerifiableAddressData[],
  current: readonly VerifiableAddress[],
  at: Timestamp,
): VerifiableAddress[] {
  const existing = new Map(current.map((address) => [address.id, address]));
  return data.map((address) => {
    const before = existing.get(address.id);
    const unchanged =
      before !== undefined &&
      before.value === address.value &&
      before.via === address.via &&
      before.status === address.status &&
      before.verified === address.verified &&
      before.verifiedAt === address.verifiedAt;
    return {
      ...address,
      createdAt: before?.createdAt ?? at,
      updatedAt: unchanged ? before.updatedAt : at,
    };
  });
}

/** Builds recovery address records from event data, keeping creation times by id. */
export function toRecoveryAddresses(
  data: readonly RecoveryAddressData[],
  current: readonly RecoveryAddress[],
  at: Timestamp,
): RecoveryAddress[] {
  const existing = new Map(current.map((address) => [address.id, address]));
  return data.map((address) => {
    const before = existing.get(address.id);
    const unchanged = before?.value === address.value && before.via === address.via;
    return {
      ...address,
      createdAt: before?.createdAt ?? at,
      updatedAt: unchanged && before ? before.updatedAt : at,
    };
  });
}
