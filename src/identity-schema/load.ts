import { fileURLToPath } from "node:url";
import { IdentitySchemaError, IdentitySchemaRegistry } from "./registry.ts";
import { readSchemaSource } from "./source.ts";

/** One configured identity schema: Kratos's `identity.schemas[]` entry. */
export interface IdentitySchemaSource {
  id: string;
  /** `file://` URL, `base64://` data, or a path relative to the working directory. */
  url: string;
}

/** Identity schema configuration: Kratos's `identity.schemas` and `default_schema_id`. */
export interface IdentitySchemaConfig {
  schemas: IdentitySchemaSource[];
  defaultSchemaId: string;
}

/** Location of the identity schema shipped with Registrar, used when none is configured. */
export const BUNDLED_DEFAULT_SCHEMA_URL = new URL(
  "../../schemas/default.schema.json",
  import.meta.url,
);

/** Configuration with only the bundled `default` schema: traits `email` and `name`. */
export function defaultIdentitySchemaConfig(): IdentitySchemaConfig {
  const url = `file://${fileURLToPath(BUNDLED_DEFAULT_SCHEMA_URL)}`;
  return { schemas: [{ id: "default", url }], defaultSchemaId: "default" };
}

async function readDocument(source: IdentitySchemaSource, cwd: string): Promise<unknown> {
  let text: string;
  try {
    text = await readSchemaSource(source.url, cwd);
  } catch (error) {
    const message = `identity schema ${JSON.stringify(source.id)} could not be read: ${(error as Error).message}`;
    throw new IdentitySchemaError("unreadable", source.id, message, { cause: error });
  }

  try {
    return JSON.parse(text);
  } catch (error) {
    const message = `identity schema ${JSON.stringify(source.id)} is not valid JSON: ${(error as Error).message}`;
    throw new IdentitySchemaError("invalid_schema", source.id, message, { cause: error });
  }
}

/**
 * Reads, checks and compiles the configured identity schemas. Meant for start-up: it throws
 * `IdentitySchemaError`, whose message names the schema id, when any schema cannot be read,
 * is not valid JSON or is not a valid identity schema.
 */
export async function loadIdentitySchemas(
  config: IdentitySchemaConfig,
  options: { cwd?: string } = {},
): Promise<IdentitySchemaRegistry> {
  const cwd = options.cwd ?? process.cwd();
  const documents = [];
  for (const source of config.schemas) {
    documents.push({ id: source.id, schema: await readDocument(source, cwd) });
  }
  return IdentitySchemaRegistry.fromDocuments(documents, config.defaultSchemaId);
}
