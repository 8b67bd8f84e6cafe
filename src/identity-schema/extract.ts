import type { ExtensionHit } from "./extension.ts";
import { normalizeAddress, normalizeIdentifier } from "./normalize.ts";
import type { ExtractedTraits, TraitAddress } from "./types.ts";

function addUnique(list: string[], value: string): void {
  if (value !== "" && !list.includes(value)) list.push(value);
}

function addAddress(list: TraitAddress[], address: TraitAddress): void {
  const known = list.some((entry) => entry.value === address.value && entry.via === address.via);
  if (address.value !== "" && !known) list.push(address);
}

function applyHit(extracted: ExtractedTraits, { extension, value }: ExtensionHit): void {
  if (typeof value !== "string") return;
  const { credentials, verification, recovery } = extension;
  const identifiers = extracted.credentialIdentifiers;

  if (credentials?.password?.identifier)
    addUnique(identifiers.password, normalizeIdentifier(value));
  if (credentials?.webauthn?.identifier)
    addUnique(identifiers.webauthn, normalizeIdentifier(value));
  if (credentials?.code?.identifier) {
    const via = credentials.code.via ?? "email";
    const address = normalizeAddress(value, via);
    addUnique(identifiers.code, address);
    addAddress(extracted.codeAddresses, { value: address, via });
  }

  if (credentials?.totp?.account_name && extracted.totpAccountName === undefined) {
    extracted.totpAccountName = value.trim();
  }
  if (credentials?.passkey?.display_name && extracted.passkeyDisplayName === undefined) {
    extracted.passkeyDisplayName = value.trim();
  }

  if (verification?.via) {
    addAddress(extracted.verifiableAddresses, {
      value: normalizeAddress(value, verification.via),
      via: verification.via,
    });
  }
  if (recovery?.via) {
    addAddress(extracted.recoveryAddresses, {
      value: normalizeAddress(value, recovery.via),
      via: recovery.via,
    });
  }
}

/**
 * Builds credential identifiers, addresses and names from the values that validation found
 * under properties carrying the `ory.sh/kratos` extension. Only string values count, and
 * identifiers and addresses are normalised and deduplicated.
 */
export function extractFromHits(hits: ExtensionHit[]): ExtractedTraits {
  const extracted: ExtractedTraits = {
    credentialIdentifiers: { password: [], webauthn: [], code: [] },
    codeAddresses: [],
    verifiableAddresses: [],
    recoveryAddresses: [],
  };
  for (const hit of hits) applyHit(extracted, hit);
  return extracted;
}
