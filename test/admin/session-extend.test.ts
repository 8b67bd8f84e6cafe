import { afterAll, beforeAll, expect, it } from "vitest";
import type { TestApp } from "../support/app.ts";
import {
  admin,
  countEvents,
  expectError,
  registerThroughPublicApi,
  startAdminTestApp,
} from "./support.ts";

let app: TestApp;

beforeAll(async () => {
  app = await startAdminTestApp("admin_session_extend");
});

afterAll(async () => {
  await app?.close();
});

async function sessionOf(identityId: string): Promise<{ id: string; expires_at: string }> {
  const listed = await admin(app, "GET", `/admin/identities/${identityId}/sessions`);
  expect(listed.status).toBe(200);
  return listed.body[0];
}

it("extends an active session by one lifespan", async () => {
  const { identityId } = await registerThroughPublicApi(
    app,
    "extend@example.com",
    "a long and unusual passphrase 42",
  );
  const before = await sessionOf(identityId);
  const startedAt = Date.now();

  const extended = await admin(app, "PATCH", `/admin/sessions/${before.id}/extend`);
  expect(extended.status, extended.text).toBe(200);
  expect(extended.body.id).toBe(before.id);
  const lifespanMs = app.registrar.settings.sessionLifespanMs;
  expect(Date.parse(extended.body.expires_at)).toBeGreaterThanOrEqual(startedAt + lifespanMs);
  expect(Date.parse(extended.body.expires_at)).toBeGreaterThan(Date.parse(before.expires_at));
  expect((await sessionOf(identityId)).expires_at).toBe(extended.body.expires_at);
});

it("answers 404 for a revoked or unknown session", async () => {
  const { identityId } = await registerThroughPublicApi(
    app,
    "revoked-extend@example.com",
    "a long and unusual passphrase 42",
  );
  const session = await sessionOf(identityId);
  expect((await admin(app, "DELETE", `/admin/sessions/${session.id}`)).status).toBe(204);
  const before = await countEvents(app);

  expectError(await admin(app, "PATCH", `/admin/sessions/${session.id}/extend`), 404, "not_found");
  expectError(
    await admin(app, "PATCH", "/admin/sessions/00000000-0000-4000-8000-000000000000/extend"),
    404,
    "not_found",
  );
  expectError(await admin(app, "PATCH", "/admin/sessions/not-a-uuid/extend"), 404, "not_found");
  expect(await countEvents(app)).toBe(before);
});

it("lists the sessions of every identity in pages", async () => {
  for (const email of ["all-1@example.com", "all-2@example.com", "all-3@example.com"]) {
    await registerThroughPublicApi(app, email, "a long and unusual passphrase 42");
  }
  const seen: string[] = [];
  let path: string | undefined = "/admin/sessions?page_size=2&expand=identity";
  for (let page = 0; path && page < 10; page += 1) {
    const response = await admin(app, "GET", path);
    expect(response.status, response.text).toBe(200);
    expect(response.body.length).toBeLessThanOrEqual(2);
    for (const session of response.body) {
      seen.push(session.id);
      expect(typeof session.identity?.id).toBe("string");
    }
    const link = response.headers.get("link");
    path = link ? /<([^>]+)>; rel="next"/.exec(link)?.[1] : undefined;
  }
  expect(seen.length).toBeGreaterThanOrEqual(5);
  expect(new Set(seen).size).toBe(seen.length);

  const active = await admin(app, "GET", "/admin/sessions?active=true&page_size=1000");
  expect(active.body.every((session: { active: boolean }) => session.active)).toBe(true);
  expectError(await admin(app, "GET", "/admin/sessions?page_token=forged"), 400, "bad_request");
});
