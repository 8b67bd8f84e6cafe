import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRegistrar, type Registrar } from "../../src/app/registrar.ts";
import { parseConfig } from "../../src/config/config.ts";
import { testArgon2Parameters } from "../../src/credential/index.ts";
import { createAdminApp } from "../../src/http/admin/admin-app.ts";
import { close, listen, portOf } from "../../src/http/server.ts";
import { createLogger } from "../../src/logger.ts";
import type { ProjectionDefinition } from "../../src/projections/projection.ts";
import type { TestApp } from "../support/app.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { eventually } from "../support/eventually.ts";
import { admin, createIdentity, expectError } from "./support.ts";

// A reactor with no effect, so the rebuild route has one to refuse.
const testReactor: ProjectionDefinition = {
  name: "test_reactor",
  version: 1,
  kind: "reactor",
  tables: [],
  async createTables() {},
  async apply() {},
};

let database: TestDatabase;
let registrar: Registrar;
let server: Server;
let app: TestApp;

beforeAll(async () => {
  database = await createTestDatabase("admin_projections");
  const adminKey = randomBytes(32).toString("base64url");
  const config = parseConfig({
    DATABASE_URL: database.url,
    MASTER_KEY: randomBytes(32).toString("base64"),
    CLAIM_KEY_SECRET: randomBytes(32).toString("base64"),
    ADMIN_API_KEY: adminKey,
    REGISTRAR_ENV: "test",
  });
  registrar = await createRegistrar(config, {
    logger: createLogger("silent"),
    extraProjections: [testReactor],
    hasherParameters: testArgon2Parameters,
  });
  await registrar.projections.start();
  server = await listen(createAdminApp(registrar), "127.0.0.1", 0);
  // Only the fields that the request helpers read.
  app = { adminUrl: `http://127.0.0.1:${portOf(server)}`, adminKey, database } as TestApp;
});

afterAll(async () => {
  if (server) await close(server);
  await registrar?.projections.stop();
  await registrar?.close();
  await database?.drop();
});

describe("admin projections", () => {
  it("lists every projection with its generations", async () => {
    const response = await admin(app, "GET", "/admin/projections");
    expect(response.status).toBe(200);
    const names = response.body.map((status: { name: string }) => status.name);
    expect(names).toEqual(
      expect.arrayContaining(["identities", "sessions", "audit_trail", "test_reactor"]),
    );
    const identities = response.body.find(
      (status: { name: string }) => status.name === "identities",
    );
    expect(identities.generations[0]).toMatchObject({ generation: 1, state: "live" });
    expect(typeof identities.generations[0].lag_events).toBe("number");
    expect(identities.dead_letters).toBe(0);
  });

  it("rebuilds a read model beside the live one", async () => {
    const created = await createIdentity(app, { traits: { email: "rebuild@example.com" } });
    const rebuilt = await admin(app, "POST", "/admin/projections/identities/rebuild");
    expect(rebuilt.status, rebuilt.text).toBe(202);
    expect(rebuilt.body).toEqual({ name: "identities", generation: 2, state: "building" });

    await eventually(async () => {
      const status = await admin(app, "GET", "/admin/projections");
      const identities = status.body.find(
        (projection: { name: string }) => projection.name === "identities",
      );
      const generations = identities.generations;
      expect(generations).toHaveLength(1);
      expect(generations[0]).toMatchObject({ generation: 2, state: "live" });
    });
    const read = await admin(app, "GET", `/admin/identities/${created.id}`);
    expect(read.status).toBe(200);
    expect(read.body.traits.email).toBe("rebuild@example.com");
  });

  it("refuses to rebuild a reactor", async () => {
    const response = await admin(app, "POST", "/admin/projections/test_reactor/rebuild");
    expectError(response, 409, "conflict");
  });

  it("answers 404 for an unknown projection", async () => {
    for (const name of ["nope", "identities%3B%20DROP%20TABLE%20events", "__proto__"]) {
      const response = await admin(app, "POST", `/admin/projections/${name}/rebuild`);
      expectError(response, 404, "not_found");
    }
  });
});
