const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Encodes a schema id as Kratos does in URLs: base64url of its UTF-8 bytes, no padding. */
export function encodeSchemaId(id: string): string {
  return Buffer.from(id, "utf8").toString("base64url");
}

/**
 * Builds an identity's `schema_url`: `<public base URL>/schemas/<encoded id>`, so `default`
 * becomes `…/schemas/ZGVmYXVsdA`.
 */
export function schemaUrl(publicBase: string | URL, id: string): string {
  const base = String(publicBase).replace(/\/+$/, "");
  return `${base}/schemas/${encodeSchemaId(id)}`;
}

/**
 * Decodes the `{id}` of `GET /schemas/{id}` when it is the canonical base64url encoding of
 * UTF-8 text, and returns it unchanged otherwise. Some raw ids are also valid encodings, so a
 * caller with a list of registered ids should try the raw value first.
 */
export function decodeSchemaId(param: string): string {
  if (!BASE64URL.test(param)) return param;

  const bytes = Buffer.from(param, "base64url");
  const decoded = bytes.toString("utf8");
  const canonical = bytes.toString("base64url") === param && encodeSchemaId(decoded) === param;
  return canonical && decoded !== "" ? decoded : param;
}
