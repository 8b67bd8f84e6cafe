/** A capture group for standard base64 with optional padding, of any length. */
export const base64Field = "([A-Za-z0-9+/]+={0,2})";

/**
 * Builds a capture group for standard base64 with optional padding that encodes at most
 * `maxBytes` bytes, so that a pattern stops scanning an overlong field early.
 */
export function boundedBase64Field(maxBytes: number): string {
  return `([A-Za-z0-9+/]{1,${Math.ceil((maxBytes * 4) / 3)}}={0,2})`;
}

/**
 * Decodes standard base64 with or without padding, or returns null for a length no encoder
 * produces. The patterns above admit only the base64 alphabet, so `Buffer.from` drops nothing.
 */
export function decodeBase64(value: string): Buffer | null {
  const unpadded = value.replace(/=+$/, "");
  const padded = unpadded.length !== value.length;
  if (unpadded.length % 4 === 1 || (padded && value.length % 4 !== 0)) {
    return null;
  }
  return Buffer.from(unpadded, "base64");
}
