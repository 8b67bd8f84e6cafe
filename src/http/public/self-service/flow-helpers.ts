import type { Context } from "koa";
import type { Registrar } from "../../../app/registrar.ts";
import type { DomainError } from "../../../domain/identity/index.ts";
import type { Flow } from "../../../flows/flow-store.ts";
import type { TraitField as SchemaTraitField } from "../../../identity-schema/index.ts";
import { badRequest, notFound } from "../../errors.ts";
import { selfServiceFlowExpiredError } from "../../kratos/flow-errors.ts";
import type { FlowKind } from "../../kratos/flows.ts";
import type { UiText } from "../../kratos/messages.ts";
import {
  passwordBreached,
  passwordPolicyViolation,
  passwordTooLong,
  passwordTooShort,
  passwordTooSimilar,
} from "../../kratos/messages.ts";
import type { TraitField } from "../../kratos/ui-nodes.ts";

/**
 * Loads a flow of one kind from the `flow` or `id` query parameter. An unknown id is a 404; an
 * expired flow is a 410 that names a fresh replacement flow, as Kratos does. `replace` receives
 * the expired flow, so the replacement can keep its settings.
 */
export async function loadFlow(
  ctx: Context,
  registrar: Registrar,
  kind: FlowKind,
  replace: (expired: Flow) => Promise<Flow>,
): Promise<Flow> {
  const id = ctx.query.flow ?? ctx.query.id;
  if (id === undefined) throw badRequest({ message: "The flow query parameter is missing." });

  const flow = await registrar.flows.find(id, kind);
  if (!flow) throw notFound({ message: `The ${kind} flow does not exist.` });

  const now = new Date();
  if (flow.expiresAt <= now) {
    const replacement = await replace(flow);
    throw selfServiceFlowExpiredError({
      expiredAt: flow.expiresAt,
      now,
      useFlowId: replacement.id,
      apiUrl: `${registrar.settings.publicUrl}/self-service/${kind}/api`,
    });
  }
  return flow;
}

/** Converts the identity schema's field descriptions to the UI layer's trait fields. */
export function uiTraitFields(fields: readonly SchemaTraitField[]): TraitField[] {
  return fields.map((field) => ({
    path: field.name.replace(/^traits\./, ""),
    inputType: field.type as TraitField["inputType"],
    ...(field.title !== undefined && { title: field.title }),
    ...(field.required && { required: true }),
    ...(field.pattern !== undefined && { pattern: field.pattern }),
    ...(field.maxLength !== undefined && { maxLength: field.maxLength }),
    ...(field.options !== undefined && { options: [...field.options] }),
    ...(field.autocomplete !== undefined && {
      autocomplete: field.autocomplete as TraitField["autocomplete"],
    }),
  }));
}

/** Maps a password-policy violation of the domain to Kratos's UI message. */
export function passwordPolicyMessage(error: DomainError): UiText | undefined {
  switch (error.code) {
    case "password_too_short":
      return passwordTooShort(error.minLength, error.actualLength);
    case "password_too_long":
      return passwordTooLong(error.maxLength, error.actualLength);
    case "password_too_similar_to_identifier":
      return passwordTooSimilar();
    case "password_too_common":
      return passwordPolicyViolation("it is one of the most commonly used passwords");
    case "password_breached":
      return passwordBreached(error.breaches);
    default:
      return undefined;
  }
}

/** Reads a string field of a decoded body, or undefined when it is absent or not a string. */
export function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === "string" ? value : undefined;
}

/** Returns the decoded request body as an object, or an empty one. */
export function bodyObject(ctx: Context): Record<string, unknown> {
  const body: unknown = ctx.state.body;
  return body !== null && typeof body === "object" && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}
