import { pbkdf2Sync, randomBytes, randomUUID } from "node:crypto";
import type { IdentityApi } from "@ory/client";
import argon2 from "argon2";
import bcrypt from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  batchBodyLimitBytes,
  maxBatchIdentities,
  maxBatchPlaintextPasswords,
} from "../../src/http/admin/identities-batch-body.ts";
import { maxConcurrentPreparations } from "../../src/http/admin/identities-batch-preparation.ts";
import { DEFAULT_BODY_LIMIT_BYTES } from "../../src/http/middleware/body-parser.ts";
import type { TestApp } from "../support/app.ts";
import {
  admin,
  countEvents,
  createIdentity,
  expectError,
  identityApiOf,
  loginThroughPublicApi,
  readOnlyKey,
  startAdminTestApp,
} from "./support.ts";

let app: TestApp;
let identities: IdentityApi;
const password = "a long and unusual passphrase 42";

beforeAll(async () => {
  app = await startAdminTestApp("admin_batch");
  identities = identityApiOf(app);
});

afterAll(async () => {
  await app?.close();
});

function entry(email: string, extra: Record<string, unknown> = {}) {
  return { create: { schema_id: "default", traits: { email }, ...extra } };
}

function batch(body: unknown) {
  return admin(app, "PATCH", "/admin/identities", { body });
}

/** Counts the events of the given identities' streams. */
async function countStreamEvents(ids: readonly string[]): Promise<number> {
  const { rows } = await app.database.pool.query<{ count: string }>(
    "SELECT count(*) AS count FROM events WHERE stream_id = ANY($1)",
    [ids.map((id) => `identity-${id}`)],
  );
  return Number(rows[0]!.count);
}

describe("batch create through @ory/client", () => {
  it("creates valid entries and reports failures in order", async () => {
    await createIdentity(app, { traits: { email: "taken@example.com" } });
    const before = await countEvents(app);
    const patchIds = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];

    const response = await identities.batchPatchIdentities({
      patchIdentitiesBody: {
        identities: [
          { patch_id: patchIds[0], create: entry("first@example.com").create },
          {
            patch_id: patchIds[1],
            create: {
              ...entry("Second@Example.com").create,
              credentials: { password: { config: { password } } },
              metadata_admin: { source: "batch" },
            },
          },
          { patch_id: patchIds[2], create: entry("TAKEN@example.com").create },
          { patch_id: patchIds[3], create: entry("not an email").create },
          { patch_id: patchIds[4], create: entry("fifth@example.com").create },
          { create: entry("no-patch-id@example.com").create },
        ],
      },
    });

    expect(response.status).toBe(200);
    const results = response.data.identities ?? [];
    expect(results.map((result) => result.action)).toEqual([
      "create",
      "create",
      "error",
      "error",
      "create",
      "create",
    ]);
    expect(results.slice(0, 5).map((result) => result.patch_id)).toEqual(patchIds);
    expect(results[5]).not.toHaveProperty("patch_id");

    const conflicting = results[2]!;
    expect(conflicting.identity).toBeUndefined();
    expect(conflicting.error.id).toBe("conflict");
    expect(conflicting.error.code).toBe(409);
    expect(conflicting.error.status).toBe("Conflict");
    expect(conflicting.error.message).toBe(
      "This identity conflicts with another identity that already exists.",
    );

    const invalid = results[3]!;
    expect(invalid.identity).toBeUndefined();
    expect(invalid.error.id).toBe("bad_request");
    expect(invalid.error.code).toBe(400);
    expect(invalid.error.details.issues[0].path).toBe("traits.email");

    const createdIds = results.flatMap((result) => (result.identity ? [result.identity] : []));
    expect(createdIds).toHaveLength(4);
    for (const [index, id] of createdIds.entries()) {
      const read = await identities.getIdentity({ id });
      expect(read.data.traits.email).toBe(
        ["first@example.com", "Second@Example.com", "fifth@example.com", "no-patch-id@example.com"][
          index
        ],
      );
    }
    const second = await identities.getIdentity({ id: createdIds[1]! });
    expect(second.data.metadata_admin).toEqual({ source: "batch" });
    expect(second.data.credentials?.password?.identifiers).toEqual(["second@example.com"]);

    // The failed entries appended nothing, so every new event belongs to a created identity.
    const appended = (await countEvents(app)) - before;
    expect(appended).toBe(await countStreamEvents(createdIds));
    expect(appended).toBeGreaterThanOrEqual(createdIds.length);

    const login = await loginThroughPublicApi(app, "second@example.com", password);
    expect(login.status, login.text).toBe(200);
  });

  it("records the admin actor and request id", async () => {
    const response = await identities.batchPatchIdentities({
      patchIdentitiesBody: {
        identities: [entry("actor-a@example.com"), entry("actor-b@example.com")],
      },
    });
    const requestId = response.headers["x-request-id"];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);

    for (const result of response.data.identities ?? []) {
      const history = await admin(app, "GET", `/admin/identities/${result.identity}/events`);
      expect(history.status, history.text).toBe(200);
      expect(history.body.length).toBeGreaterThan(0);
      for (const event of history.body) {
        expect(event.metadata.actor).toEqual({
          type: "admin",
          id: "bootstrap",
          authMethod: "api_key",
        });
        expect(event.metadata.correlation_id).toBe(requestId);
      }
    }
  });
});

describe("batch create entries", () => {
  it("creates one of two equal identifiers", async () => {
    const response = await batch({
      identities: [entry("twice@example.com"), entry("TWICE@Example.com")],
    });

    expect(response.status, response.text).toBe(200);
    const [first, second] = response.body.identities;
    expect(first.action).toBe("create");
    expect(second.action).toBe("error");
    expect(second.error.id).toBe("conflict");
    expect(second.error.code).toBe(409);

    const found = await admin(
      app,
      "GET",
      "/admin/identities?credentials_identifier=twice@example.com",
    );
    expect(found.body.map((identity: { id: string }) => identity.id)).toEqual([first.identity]);
  });

  it("fails an entry as a single create fails", async () => {
    const bodies = [
      entry("policy@example.com", {
        credentials: { password: { config: { password: "short" } } },
      }).create,
      entry("hash@example.com", {
        credentials: { password: { config: { hashed_password: "$argon2id$v=19$m=oops" } } },
      }).create,
      entry("oidc@example.com", {
        credentials: { oidc: { config: { providers: [{ provider: "x", subject: "1" }] } } },
      }).create,
      { schema_id: "missing", traits: { email: "schema@example.com" } },
    ];

    const response = await batch({ identities: bodies.map((create) => ({ create })) });
    expect(response.status, response.text).toBe(200);
    for (const [index, create] of bodies.entries()) {
      const single = await admin(app, "POST", "/admin/identities", { body: create });
      expect(single.status, single.text).toBe(400);
      const { request: _singleRequest, ...singleError } = single.body.error;
      const { request: _batchRequest, ...batchError } = response.body.identities[index].error;
      expect(batchError).toEqual(singleError);
    }
  });

  it("imports hashed passwords that sign in", async () => {
    const salt = randomBytes(16);
    const key = pbkdf2Sync(password, salt, 1000, 32, "sha256");
    const hashes = {
      argon2: await argon2.hash(password, { type: argon2.argon2id, memoryCost: 1024, timeCost: 2 }),
      bcrypt: bcrypt.hashSync(password, 4),
      pbkdf2: `$pbkdf2-sha256$i=1000,l=32$${salt.toString("base64")}$${key.toString("base64")}`,
    };
    const entries = Object.entries(hashes).map(([name, hash]) =>
      entry(`import-${name}@example.com`, {
        credentials: { password: { config: { hashed_password: hash } } },
      }),
    );

    const response = await batch({ identities: entries });
    expect(response.status, response.text).toBe(200);
    for (const [index, name] of Object.keys(hashes).entries()) {
      const result = response.body.identities[index];
      expect(result.action, JSON.stringify(result)).toBe("create");

      const login = await loginThroughPublicApi(app, `import-${name}@example.com`, password);
      expect(login.status, `${name}: ${login.text}`).toBe(200);
      expect(login.body.session.identity.id).toBe(result.identity);
      const wrong = await loginThroughPublicApi(app, `import-${name}@example.com`, `${password}!`);
      expect(wrong.status, name).toBe(400);
    }
  });

  it("hashes passwords a few at a time", async () => {
    const { hasher } = app.registrar;
    const hash = hasher.hash.bind(hasher);
    let running = 0;
    let maxRunning = 0;
    hasher.hash = async (plaintext: string) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      try {
        return await hash(plaintext);
      } finally {
        running -= 1;
      }
    };
    const entries = Array.from({ length: maxBatchPlaintextPasswords }, (_, index) =>
      entry(`plain-${index}@example.com`, { credentials: { password: { config: { password } } } }),
    );

    try {
      const response = await batch({ identities: entries });
      expect(response.status, response.text).toBe(200);
      const actions = new Set(
        response.body.identities.map((result: { action: string }) => result.action),
      );
      expect([...actions]).toEqual(["create"]);
    } finally {
      hasher.hash = hash;
    }
    expect(maxRunning).toBeGreaterThan(1);
    expect(maxRunning).toBeLessThanOrEqual(maxConcurrentPreparations);
  });

  it("returns an empty result for no entries", async () => {
    const response = await batch({ identities: [] });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toEqual({ identities: [] });
  });
});

describe("batch create limits", () => {
  it("rejects more identities than the limit", async () => {
    const before = await countEvents(app);
    const entries = Array.from({ length: maxBatchIdentities + 1 }, (_, index) => ({
      patch_id: randomUUID(),
      ...entry(`over-${index}@example.com`),
    }));

    const response = await batch({ identities: entries });
    expectError(response, 400, "bad_request");
    expect(response.body.error.details).toEqual({
      max_identities: maxBatchIdentities,
      identities: maxBatchIdentities + 1,
    });
    expect(await countEvents(app)).toBe(before);
  });

  it("rejects more plaintext passwords than the limit", async () => {
    const before = await countEvents(app);
    const entries = Array.from({ length: maxBatchPlaintextPasswords + 1 }, (_, index) =>
      entry(`over-plain-${index}@example.com`, {
        credentials: { password: { config: { password } } },
      }),
    );

    const response = await batch({ identities: [entry("valid-beside@example.com"), ...entries] });
    expectError(response, 400, "bad_request");
    expect(response.body.error.details).toEqual({
      max_plaintext_passwords: maxBatchPlaintextPasswords,
      plaintext_passwords: maxBatchPlaintextPasswords + 1,
    });
    expect(await countEvents(app)).toBe(before);
  });

  it("accepts a body over the usual size limit", async () => {
    const before = await countEvents(app);
    const filler = "x".repeat(75 * 1024);
    const response = await batch({
      identities: [
        entry("large@example.com", { metadata_admin: { filler } }),
        entry("large-1@example.com", { metadata_admin: { filler } }),
      ],
    });
    expect(response.status, response.text).toBe(200);
    expect(response.body.identities.map((result: { action: string }) => result.action)).toEqual([
      "create",
      "create",
    ]);
    expect(await countEvents(app)).toBeGreaterThan(before);

    // Kratos's path without the /admin prefix, and with a trailing slash, which also matches.
    const unprefixed = await admin(app, "PATCH", "/identities/", {
      body: {
        identities: [
          entry("large-2@example.com", { metadata_admin: { filler } }),
          entry("large-3@example.com", { metadata_admin: { filler } }),
        ],
      },
    });
    expect(unprefixed.status, unprefixed.text).toBe(200);
    expect(unprefixed.body.identities[0].action).toBe("create");
  });

  it("accepts nesting that a single create accepts", async () => {
    // 31 levels of metadata plus the body's root are the most a single create accepts.
    let nested: unknown = 1;
    for (let level = 0; level < 31; level += 1) nested = { a: nested };
    const single = await admin(app, "POST", "/admin/identities", {
      body: entry("nested-single@example.com", { metadata_admin: nested }).create,
    });
    expect(single.status, single.text).toBe(201);

    const response = await batch({
      identities: [entry("nested-batch@example.com", { metadata_admin: nested })],
    });
    expect(response.status, response.text).toBe(200);
    expect(response.body.identities[0].action).toBe("create");
  });

  it("rejects an entry larger than a single create", async () => {
    const before = await countEvents(app);
    const filler = "x".repeat(DEFAULT_BODY_LIMIT_BYTES);
    const response = await batch({
      identities: [
        entry("small@example.com"),
        entry("oversized@example.com", { metadata_admin: { filler } }),
      ],
    });
    expectError(response, 400, "bad_request");
    expect(response.body.error.details).toEqual({
      index: 1,
      max_entry_bytes: DEFAULT_BODY_LIMIT_BYTES,
    });
    expect(await countEvents(app)).toBe(before);
  });

  it("rejects a body over its size limit", async () => {
    const before = await countEvents(app);
    const filler = "x".repeat(batchBodyLimitBytes);
    const response = await batch({
      identities: [entry("too-large@example.com", { metadata_admin: { filler } })],
    });
    expectError(response, 413, "request_body_too_large");
    expect(await countEvents(app)).toBe(before);
  });
});

describe("batch create bad input", () => {
  const valid = entry("valid@example.com");
  const cases: { name: string; body: unknown }[] = [
    { name: "malformed JSON", body: '{"identities": [' },
    { name: "missing identities", body: {} },
    { name: "identities null", body: { identities: null } },
    { name: "identities object", body: { identities: { 0: valid } } },
    { name: "identities string", body: { identities: "all" } },
    { name: "array body", body: [valid] },
    { name: "unknown top-level field", body: { identities: [valid], dry_run: true } },
    { name: "entry without create", body: { identities: [valid, { patch_id: randomUUID() }] } },
    { name: "entry null", body: { identities: [valid, null] } },
    { name: "unknown entry field", body: { identities: [{ ...valid, delete: {} }] } },
    {
      name: "unknown create field",
      body: { identities: [valid, { create: { ...valid.create, password: "x" } }] },
    },
    { name: "non-uuid patch_id", body: { identities: [{ ...valid, patch_id: "patch-1" }] } },
    { name: "numeric patch_id", body: { identities: [{ ...valid, patch_id: 7 }] } },
    {
      name: "__proto__ key",
      body: '{"identities": [{"create": {"schema_id": "default", "traits": {"email": "p@example.com"}, "__proto__": {"admin": true}}}]}',
    },
    {
      name: "__proto__ key in metadata",
      body: '{"identities": [{"create": {"schema_id": "default", "traits": {"email": "m@example.com"}, "metadata_admin": {"__proto__": {"admin": true}}}}]}',
    },
    {
      name: "NUL byte",
      body: '{"identities": [{"create": {"schema_id": "default", "traits": {"email": "n\\u0000@example.com"}}}]}',
    },
  ];

  for (const testCase of cases) {
    it(`rejects ${testCase.name}`, async () => {
      const before = await countEvents(app);
      const response = await batch(testCase.body);
      expectError(response, 400, "bad_request");
      expect(await countEvents(app)).toBe(before);
    });
  }

  it("echoes patch ids in lower case", async () => {
    const patchId = randomUUID().toUpperCase();
    const response = await batch({
      identities: [{ ...entry("upper@example.com"), patch_id: patchId }],
    });
    expect(response.status, response.text).toBe(200);
    expect(response.body.identities[0].patch_id).toBe(patchId.toLowerCase());
  });
});

describe("batch create authorization", () => {
  it("requires an API key", async () => {
    const response = await admin(app, "PATCH", "/admin/identities", {
      key: null,
      body: { identities: [entry("anonymous@example.com")] },
    });
    expectError(response, 401, "unauthorized");
  });

  it("requires the identities:write scope", async () => {
    const before = await countEvents(app);
    const response = await admin(app, "PATCH", "/admin/identities", {
      key: readOnlyKey,
      body: { identities: [entry("reader@example.com")] },
    });
    expectError(response, 403, "forbidden");
    expect(await countEvents(app)).toBe(before);
  });

  it("logged no server fault", () => {
    const faults = app.logs.filter((line) => line.includes('"level":"error"'));
    expect(faults).toEqual([]);
  });
});

describe("batch create server fault", () => {
  it("stops after a server error", async () => {
    const handler = app.registrar.identities;
    const execute = handler.execute.bind(handler);
    let calls = 0;
    handler.execute = async (command, context) => {
      calls += 1;
      if (calls === 2) throw new Error("connection to the event store lost");
      return execute(command, context);
    };
    const emails = ["fault-1@example.com", "fault-2@example.com", "fault-3@example.com"];

    let response: Awaited<ReturnType<typeof batch>>;
    try {
      response = await batch({ identities: emails.map((email) => entry(email)) });
    } finally {
      handler.execute = execute;
    }

    expect(response.status, response.text).toBe(200);
    const [created, failed, skipped] = response.body.identities;
    expect(created.action).toBe("create");
    expect(failed.action).toBe("error");
    expect(failed.error.id).toBe("internal_server_error");
    expect(failed.error.code).toBe(500);
    expect(response.text).not.toContain("event store lost");
    expect(skipped.action).toBe("error");
    expect(skipped.error.id).toBe("internal_server_error");
    expect(calls).toBe(2);

    const third = await admin(app, "GET", `/admin/identities?credentials_identifier=${emails[2]}`);
    expect(third.body).toEqual([]);
    const faults = app.logs.filter((line) => line.includes('"level":"error"'));
    expect(faults).toHaveLength(1);
    expect(faults[0]).toContain("batch identity create stopped after a server error");
  });
});
