import type Router from "@koa/router";
import type { Registrar } from "../../app/registrar.ts";
import { notFound } from "../errors.ts";

const maxPageSize = 1000;

/** `GET /schemas` and `GET /schemas/{id}`; ids may be raw or base64url-encoded. */
export function registerSchemaRoutes(router: Router, registrar: Registrar): void {
  router.get("/schemas", (ctx) => {
    const pageSize = clampInteger(ctx.query.per_page ?? ctx.query.page_size, 250, 1, maxPageSize);
    const page = clampInteger(ctx.query.page, 0, 0, 1_000_000);
    const all = registrar.schemas.listSchemas();
    ctx.body = all.slice(page * pageSize, (page + 1) * pageSize);
  });

  router.get("/schemas/:id", (ctx) => {
    const id = registrar.schemas.resolveSchemaId(ctx.params.id ?? "");
    const schema = id === undefined ? undefined : registrar.schemas.getSchema(id);
    if (!schema) throw notFound({ message: "The requested identity schema does not exist." });
    ctx.body = schema;
  });
}

function clampInteger(value: unknown, fallback: number, min: number, max: number): number {
  const parsed = typeof value === "string" && /^\d{1,9}$/.test(value) ? Number(value) : fallback;
  return Math.min(Math.max(parsed, min), max);
}
