import type { MarkAddressVerified } from "./commands.ts";
import { accept, type Decision } from "./decision.ts";
import { isDomainError } from "./errors.ts";
import { requireExisting } from "./guards.ts";
import { normalizeIdentifier } from "./identifier.ts";
import type { IdentityStreamState } from "./state.ts";

/**
 * Decides that the verifiable address with the given channel and value is verified. The value
 * is normalized first. Verifying a verified address changes nothing.
 */
export function decideMarkAddressVerified(
  command: MarkAddressVerified,
  state: IdentityStreamState,
): Decision {
  const existing = requireExisting(state, command.identityId);
  if (isDomainError(existing)) {
    return existing;
  }
  const value = normalizeIdentifier(command.value, "value");
  if (typeof value !== "string") {
    return value;
  }

  const address = existing.identity.verifiableAddresses.find(
    (candidate) => candidate.via === command.via && candidate.value === value,
  );
  if (!address) {
    return { code: "address_not_found", via: command.via };
  }
  if (address.verified) {
    return accept();
  }

  return accept({
    type: "AddressVerified",
    data: {
      identityId: command.identityId,
      addressId: address.id,
      via: address.via,
      value: address.value,
      verifiedAt: command.now,
    },
  });
}
