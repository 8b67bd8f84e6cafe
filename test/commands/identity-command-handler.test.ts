import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { IdentityCommandHandler } from "../../src/commands/identity-command-handler.ts";
import { PostgresEventStore } from "../../src/eventstore/postgres/postgres-event-store.ts";
import { createPersonalData } from "../../src/personal-data/create-personal-data.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

let database: TestDatabase;
let first: IdentityCommandHandler;
let second: IdentityCommandHandler;
const context = { actor: { type: "system" as const, id: "test" } };

beforeAll(async () => {
  database = await createTestDatabase("command_handler");
  const store = new PostgresEventStore({ pool: database.pool });
  const keys = { masterKey: randomBytes(32), claimKeySecret: randomBytes(32) };
  // Two handlers stand for two processes, each with its own folded-state cache.
  first = new IdentityCommandHandler(store, createPersonalData(database.pool, keys));
  second = new IdentityCommandHandler(store, createPersonalData(database.pool, keys));
});

afterAll(async () => {
  await database.drop();
});

it("folds events another process appended after its cached state", async () => {
  const identityId = randomUUID();
  const now = () => new Date().toISOString();
  const registered = await first.execute(
    {
      type: "RegisterIdentity",
      identityId,
      schemaId: "default",
      traits: { email: "cached@example.com" },
      identifiers: { password: ["cached@example.com"] },
      password: {
        hashedPassword: "$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
      },
      verifiableAddresses: [],
      recoveryAddresses: [],
      now: now(),
    },
    context,
  );
  expect(registered.ok).toBe(true);
  expect((await first.load(identityId)).version).toBe(1);

  const deactivated = await second.execute(
    { type: "DeactivateIdentity", identityId, now: now() },
    context,
  );
  expect(deactivated.ok).toBe(true);

  const issued = await first.execute(
    {
      type: "IssueSession",
      identityId,
      sessionId: randomUUID(),
      tokenHash: "b".repeat(64),
      authenticationMethods: [{ method: "password", aal: "aal1", completedAt: now() }],
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
      device: { id: randomUUID() },
      now: now(),
    },
    context,
  );
  expect(issued.ok).toBe(false);
  if (issued.ok) return;
  expect(issued.error.code).toBe("identity_inactive");

  const loaded = await first.load(identityId);
  expect(loaded.version).toBe(2);
  expect(loaded.state.status).toBe("existing");
  if (loaded.state.status !== "existing") return;
  expect(loaded.state.identity.state).toBe("inactive");
});

const now = () => new Date().toISOString();

/** Registers an identity with a password through `handler` and returns its id. */
async function registerWith(handler: IdentityCommandHandler, email: string): Promise<string> {
  const identityId = randomUUID();
  const registered = await handler.execute(
    {
      type: "RegisterIdentity",
      identityId,
      schemaId: "default",
      traits: { email },
      identifiers: { password: [email] },
      password: {
        hashedPassword: "$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
      },
      verifiableAddresses: [],
      recoveryAddresses: [],
      now: now(),
    },
    context,
  );
  expect(registered.ok).toBe(true);
  return identityId;
}

/** Issues a session through `handler`. `n` makes its token hash unique. */
function issueWith(handler: IdentityCommandHandler, identityId: string, n: number) {
  return handler.execute(
    {
      type: "IssueSession",
      identityId,
      sessionId: randomUUID(),
      tokenHash: n.toString(16).padStart(64, "0"),
      authenticationMethods: [{ method: "password", aal: "aal1", completedAt: now() }],
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
      device: { id: randomUUID() },
      now: now(),
    },
    context,
  );
}

it("rejects only after a fresh load", async () => {
  const identityId = await registerWith(first, "reactivated@example.com");
  expect(
    (await first.execute({ type: "DeactivateIdentity", identityId, now: now() }, context)).ok,
  ).toBe(true);

  // The first handler caches the identity as inactive. The second activates it again.
  const activated = await second.execute(
    { type: "ActivateIdentity", identityId, now: now() },
    context,
  );
  expect(activated.ok).toBe(true);

  const issued = await issueWith(first, identityId, 0xc);
  expect(issued.ok).toBe(true);
  if (!issued.ok) return;
  expect(issued.version).toBe(4);
});

it("reloads after another process erased", async () => {
  const keys = { masterKey: randomBytes(32), claimKeySecret: randomBytes(32) };
  const store = new PostgresEventStore({ pool: database.pool });
  const eraser = new IdentityCommandHandler(store, createPersonalData(database.pool, keys));
  // Without a data-key cache, this process reads the key store on every encryption.
  const caching = new IdentityCommandHandler(
    store,
    createPersonalData(database.pool, { ...keys, keyCacheTtlMs: 0 }),
  );
  const identityId = await registerWith(eraser, "erased-elsewhere@example.com");
  expect((await caching.load(identityId)).version).toBe(1);

  const erased = await eraser.execute(
    { type: "EraseIdentity", identityId, reason: "data_subject_request", now: now() },
    context,
  );
  expect(erased.ok).toBe(true);

  const changed = await caching.execute(
    {
      type: "UpdateTraits",
      identityId,
      traits: { email: "still-here@example.com" },
      identifiers: { password: ["still-here@example.com"] },
      verifiableAddresses: [],
      recoveryAddresses: [],
      now: now(),
    },
    context,
  );
  expect(changed.ok).toBe(false);
  if (changed.ok) return;
  expect(changed.error.code).toBe("identity_not_found");
});

it("issues parallel sessions from two processes", async () => {
  const identityId = await registerWith(first, "two-processes@example.com");
  const outcomes = await Promise.all(
    Array.from({ length: 12 }, (_, n) => issueWith(n % 2 === 0 ? first : second, identityId, n)),
  );
  expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
  const versions = outcomes.map((outcome) => (outcome.ok ? outcome.version : 0));
  expect(versions.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, n) => n + 2));
});
