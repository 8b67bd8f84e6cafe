import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// NOTE: the document is read from outside the repository unless KRATOS_OPENAPI_PATH points
// elsewhere; these tests fail on a machine that has neither.
const OPENAPI_PATH =
  process.env.KRATOS_OPENAPI_PATH ?? "/work/shared/reference/kratos-openapi.json";
const DOCUMENT_ID = "kratos-openapi.json";

type Schema = Record<string, unknown>;

/**
 * Validators for the component schemas of Kratos's OpenAPI document (OpenAPI 3.0), prepared so
 * that Ajv reads them as JSON Schema:
 * - `nullable: true` becomes a `null` member of `type`, and `discriminator` is dropped because
 *   every `oneOf` branch already pins its discriminator with an enum;
 * - every object schema with `properties` and no `additionalProperties` is closed, so a field the
 *   document does not declare fails validation;
 * - two places where the document disagrees with what Kratos sends are corrected:
 *   `genericError.details` declares no properties and forbids all others although Kratos fills
 *   it (`redirect_to`, `docs`), and `errorBrowserLocationChangeRequired.error` points at the
 *   envelope instead of the inner error object.
 */
export function loadKratosSchemas(): (name: string) => ValidateFunction {
  const document = JSON.parse(readFileSync(OPENAPI_PATH, "utf8")) as Schema;
  const schemas = (document.components as { schemas: Record<string, Schema> }).schemas;
  for (const schema of Object.values(schemas)) prepare(schema);

  const genericError = schemas.genericError as { properties: Record<string, Schema> };
  genericError.properties.details = { type: "object" };
  const locationChange = schemas.errorBrowserLocationChangeRequired as {
    properties: Record<string, Schema>;
  };
  locationChange.properties.error = { $ref: "#/components/schemas/genericError" };

  const ajv = new Ajv({ strict: false, allErrors: true });
  const addFormats = addFormatsModule as unknown as (instance: Ajv) => Ajv;
  addFormats(ajv);
  ajv.addFormat("uuid4", /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i);
  ajv.addSchema({ $id: DOCUMENT_ID, components: { schemas } });

  return (name: string) => {
    const validate = ajv.getSchema(`${DOCUMENT_ID}#/components/schemas/${name}`);
    if (validate === undefined) throw new Error(`no component schema named ${name}`);
    return validate;
  };
}

function prepare(schema: unknown): void {
  if (Array.isArray(schema)) {
    for (const item of schema) prepare(item);
    return;
  }
  if (typeof schema !== "object" || schema === null) return;

  const node = schema as Schema;
  delete node.discriminator;
  if (node.nullable === true) {
    delete node.nullable;
    if (typeof node.type === "string") node.type = [node.type, "null"];
  }
  if (node.properties !== undefined && node.additionalProperties === undefined) {
    node.additionalProperties = false;
  }
  for (const value of Object.values(node)) prepare(value);
}

/** Returns Ajv's errors as readable lines, for assertion messages. */
export function describeErrors(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .map((error) => `${error.instancePath || "/"} ${error.message} ${JSON.stringify(error.params)}`)
    .join("\n");
}
