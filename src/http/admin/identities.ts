import type Router from "@koa/router";
import type { Registrar } from "../../app/registrar.ts";
import { requireScope } from "./api-key-auth.ts";
import { batchCreateIdentities } from "./identities-batch.ts";
import { createIdentity } from "./identities-create.ts";
import { deleteCredential } from "./identities-credentials.ts";
import { deleteIdentity, eraseIdentity } from "./identities-delete.ts";
import { getIdentity, getIdentityByExternalId } from "./identities-get.ts";
import {
  getIdentityStateAt,
  listIdentityEvents,
  verifyIdentityStream,
} from "./identities-history.ts";
import { listIdentities } from "./identities-list.ts";
import { patchIdentity } from "./identities-patch.ts";
import { replaceIdentity } from "./identities-update.ts";

/**
 * Registers Kratos's admin identity routes, erasure, and the event-sourcing extras: history,
 * time travel and hash-chain verification, which need the `audit:read` scope.
 */
export function registerIdentityRoutes(router: Router, registrar: Registrar): void {
  const read = requireScope("identities:read");
  const write = requireScope("identities:write");
  const audit = requireScope("audit:read");

  router.get("/admin/identities", read, listIdentities(registrar));
  router.post("/admin/identities", write, createIdentity(registrar));
  router.patch("/admin/identities", write, batchCreateIdentities(registrar));
  router.get("/admin/identities/by/external/:externalID", read, getIdentityByExternalId(registrar));
  router.get("/admin/identities/:id", read, getIdentity(registrar));
  router.put("/admin/identities/:id", write, replaceIdentity(registrar));
  router.patch("/admin/identities/:id", write, patchIdentity(registrar));
  router.delete("/admin/identities/:id", write, deleteIdentity(registrar));
  router.delete("/admin/identities/:id/credentials/:type", write, deleteCredential(registrar));
  router.post("/admin/identities/:id/erase", write, eraseIdentity(registrar));
  router.get("/admin/identities/:id/events", audit, listIdentityEvents(registrar));
  router.get("/admin/identities/:id/state", audit, getIdentityStateAt(registrar));
  router.get("/admin/identities/:id/verify", audit, verifyIdentityStream(registrar));
}
