import { readFile, stat } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";

/** Maximum size of one identity schema document, in bytes. */
export const MAX_SCHEMA_BYTES = 1024 * 1024;

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

function decodeBase64(data: string): string {
  const compact = data.replace(/\s+/g, "");
  if (!BASE64.test(compact)) throw new Error("base64:// data is not valid base64");

  const bytes = Buffer.from(compact, "base64");
  if (bytes.length > MAX_SCHEMA_BYTES) {
    throw new Error(`schema is larger than ${MAX_SCHEMA_BYTES} bytes`);
  }
  return bytes.toString("utf8");
}

async function readSchemaFile(path: string): Promise<string> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a file`);
  if (info.size > MAX_SCHEMA_BYTES)
    throw new Error(`${path} is larger than ${MAX_SCHEMA_BYTES} bytes`);
  return readFile(path, "utf8");
}

/**
 * Resolves a `file://` URL or a plain path to a file path. `file:///etc/schema.json` is
 * absolute; `file://./schema.json` and `schema.json` are relative to `cwd`.
 */
export function schemaFilePath(url: string, cwd: string): string {
  const path = url.startsWith("file://") ? decodeURIComponent(url.slice("file://".length)) : url;
  return isAbsolute(path) ? path : resolve(cwd, path);
}

/**
 * Reads the text of an identity schema from its configured URL: `file://` URLs, plain paths
 * relative to `cwd`, and `base64://` data.
 *
 * NOTE: Kratos also fetches `http://` and `https://` URLs. Registrar does not, so that start-up
 * does not depend on another host; such URLs are rejected.
 */
export async function readSchemaSource(url: string, cwd: string): Promise<string> {
  if (url.startsWith("base64://")) return decodeBase64(url.slice("base64://".length));

  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === "http" || scheme === "https") {
    throw new Error("http(s) schema URLs are not supported; save the schema and use file://");
  }
  if (scheme !== undefined && scheme !== "file") {
    throw new Error(`URL scheme ${scheme}:// is not supported; use file://, base64:// or a path`);
  }
  return readSchemaFile(schemaFilePath(url, cwd));
}
