/** Prefix of every identity stream id. */
export const identityStreamPrefix = "identity-";

/** Builds the id of an identity's event stream: `identity-<identity id>`. */
export function identityStreamId(identityId: string): string {
  return `${identityStreamPrefix}${identityId}`;
}
