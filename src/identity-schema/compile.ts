import { Ajv, type AnySchemaObject, type Options, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsPlugin from "ajv-formats";
import { EXTENSION_KEY, EXTENSION_KEYWORD, extensionKeyword } from "./extension.ts";
import { isEmailAddress, isPhoneNumber } from "./normalize.ts";
import { copySchemaForAjv } from "./schema-copy.ts";

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;

const DRAFT_07 = [
  "http://json-schema.org/draft-07/schema#",
  "http://json-schema.org/draft-07/schema",
];
const DRAFT_2019 = "https://json-schema.org/draft/2019-09/schema";
const DRAFT_2020 = "https://json-schema.org/draft/2020-12/schema";

const options: Options = {
  allErrors: true,
  verbose: true,
  passContext: true,
  // Unknown keywords and formats stop start-up, so a typo in a schema cannot pass unnoticed.
  strictSchema: true,
  strictNumbers: true,
  // These would also reject ordinary schemas that Kratos accepts, such as `required` listing a
  // property that only a subschema defines.
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  logger: false,
};

function createAjv(dialect: unknown): Ajv {
  if (dialect === undefined || (typeof dialect === "string" && DRAFT_07.includes(dialect))) {
    return new Ajv(options);
  }
  if (dialect === DRAFT_2019 || dialect === `${DRAFT_2019}#`) return new Ajv2019(options);
  if (dialect === DRAFT_2020 || dialect === `${DRAFT_2020}#`) return new Ajv2020(options);

  throw new Error(
    `"$schema" ${JSON.stringify(dialect)} is not supported; use draft-07, 2019-09 or 2020-12`,
  );
}

/**
 * Compiles one identity schema with its own Ajv instance, so two schemas may share an `$id`.
 * Registers the Kratos extension keyword and the formats Kratos supports (`email`, `tel`,
 * `no-validate` and those of ajv-formats). Throws when the schema is invalid or has a `$ref`
 * that does not resolve inside it; remote references are never fetched.
 */
export function compileIdentitySchema(schema: AnySchemaObject): ValidateFunction {
  const ajv = createAjv(schema.$schema);
  addFormats(ajv);
  ajv.addFormat("email", { type: "string", validate: isEmailAddress });
  ajv.addFormat("tel", { type: "string", validate: isPhoneNumber });
  ajv.addFormat("no-validate", true);
  ajv.addKeyword(extensionKeyword);

  const copy = copySchemaForAjv(schema);
  try {
    return ajv.compile(copy);
  } catch (error) {
    // Ajv's messages use the internal keyword name, but operators wrote the schema's key.
    const message = (error as Error).message.replaceAll(EXTENSION_KEYWORD, EXTENSION_KEY);
    throw new Error(message, { cause: error });
  }
}
