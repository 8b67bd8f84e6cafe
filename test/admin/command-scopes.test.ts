import { createHash, randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

const commandsOnlyKey = randomBytes(32).toString("base64url");
const commandsAndIdentitiesKey = randomBytes(32).toString("base64url");
let app: TestApp;

function digest(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

beforeAll(async () => {
  app = await startTestApp("command_scopes", {
    ADMIN_API_KEYS: JSON.stringify([
      { id: "commands-only", sha256: digest(commandsOnlyKey), scopes: ["commands:write"] },
      {
        id: "commands-identities",
        sha256: digest(commandsAndIdentitiesKey),
        scopes: ["commands:write", "identities:write"],
      },
    ]),
  });
});

afterAll(async () => {
  await app?.close();
});

async function runCommand(key: string, name: string, body: unknown) {
  const response = await fetch(`${app.adminUrl}/admin/commands/${name}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { error?: { id: string } } };
}

it("needs the command's own scope besides commands:write", async () => {
  const created = await runCommand(app.adminKey, "CreateIdentity", {
    traits: { email: `scoped-${randomUUID()}@example.com` },
  });
  expect(created.status).toBe(200);
  const identityId = (created.body as unknown as { stream_id: string }).stream_id.replace(
    "identity-",
    "",
  );

  const denied = await runCommand(commandsOnlyKey, "DeleteIdentity", { identity_id: identityId });
  expect(denied.status).toBe(403);
  expect(denied.body.error?.id).toBe("forbidden");

  const sessions = await runCommand(commandsAndIdentitiesKey, "RevokeAllSessions", {
    identity_id: identityId,
  });
  expect(sessions.status).toBe(403);

  const allowed = await runCommand(commandsAndIdentitiesKey, "DeleteIdentity", {
    identity_id: identityId,
  });
  expect(allowed.status).toBe(200);
});
