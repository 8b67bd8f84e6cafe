import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { eventually } from "../support/eventually.ts";

let app: TestApp;
const password = "a long passphrase for rebuilds";

beforeAll(async () => {
  app = await startTestApp("rebuild_read_models");
});

afterAll(async () => {
  await app?.close();
});

async function post(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
}

async function register(email: string): Promise<{ id: string; token: string }> {
  const flow = (await (await fetch(`${app.publicUrl}/self-service/registration/api`)).json()) as {
    id: string;
  };
  const result = await post(app.publicUrl, `/self-service/registration?flow=${flow.id}`, {
    method: "password",
    traits: { email },
    password,
  });
  return { id: (result.identity as { id: string }).id, token: result.session_token as string };
}

async function login(email: string): Promise<void> {
  const flow = (await (await fetch(`${app.publicUrl}/self-service/login/api`)).json()) as {
    id: string;
  };
  await post(app.publicUrl, `/self-service/login?flow=${flow.id}`, {
    method: "password",
    identifier: email,
    password,
  });
}

async function command(name: string, body: unknown): Promise<void> {
  await post(app.adminUrl, `/admin/commands/${name}`, body, {
    Authorization: `Bearer ${app.adminKey}`,
  });
}

/** Rows of each read model, in a stable order, without columns a rebuild numbers anew. */
async function snapshot(): Promise<Record<string, unknown[]>> {
  const queries: Record<string, string> = {
    identities: "SELECT * FROM identities ORDER BY id",
    identity_identifiers: "SELECT * FROM identity_identifiers ORDER BY credential_type, identifier",
    identity_addresses: "SELECT * FROM identity_addresses ORDER BY kind, via, value",
    sessions: "SELECT * FROM sessions ORDER BY id",
    audit_trail: "SELECT * FROM audit_trail ORDER BY ordinal",
    courier_messages: "SELECT * FROM courier_messages ORDER BY id",
  };
  const result: Record<string, unknown[]> = {};
  for (const [table, sql] of Object.entries(queries)) {
    const { rows } = await app.database.pool.query(sql);
    result[table] = rows.map(({ ordinal: _ordinal, ...rest }) => rest);
  }
  return result;
}

it("rebuilds every read model into rows equal to the live ones", async () => {
  const people = [];
  for (let n = 0; n < 6; n += 1) {
    const email = `rebuild-${n}-${randomUUID()}@example.com`;
    people.push({ email, ...(await register(email)) });
  }
  for (const person of people.slice(0, 4)) await login(person.email);
  await command("SetMetadata", { identity_id: people[1]!.id, metadata_public: { plan: "pro" } });
  await command("DeactivateIdentity", { identity_id: people[2]!.id });
  await command("EraseIdentity", { identity_id: people[3]!.id, reason: "data_subject_request" });
  await command("DeleteIdentity", { identity_id: people[4]!.id });

  const runner = app.registrar.projections;
  const head = await app.registrar.store.headPosition();
  for (const name of ["identities", "sessions", "audit_trail", "courier_messages"]) {
    expect(await runner.waitFor(name, head, 10_000)).toBe(true);
  }
  const live = await snapshot();
  expect(live.identities).toHaveLength(4);
  expect(live.audit_trail!.length).toBeGreaterThan(20);

  for (const name of ["identities", "sessions", "audit_trail", "courier_messages"]) {
    await runner.rebuild(name);
  }
  await eventually(async () => {
    const statuses = await runner.status();
    for (const status of statuses) {
      expect(status.generations.map((generation) => generation.state)).toEqual(["live"]);
    }
  }, 30_000);

  const rebuilt = await snapshot();
  for (const table of Object.keys(live)) {
    expect(rebuilt[table], table).toEqual(live[table]);
  }
});
