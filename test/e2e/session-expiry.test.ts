import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { expectErrorEnvelope, publicCall, register } from "./support.ts";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("e2e_session_expiry", { SESSION_LIFESPAN_SECONDS: "2" });
});

afterAll(async () => {
  await app?.close();
});

/** Sleeps until `moment` plus `offsetMs`; returns at once when that time has passed. */
async function sleepUntil(moment: Date, offsetMs: number): Promise<void> {
  const remaining = moment.getTime() + offsetMs - Date.now();
  if (remaining > 0) await sleep(remaining);
}

describe("expired sessions", () => {
  it("rejects expired token everywhere", async () => {
    const { token, body } = await register(app, "brief@example.com");
    const expiresAt = new Date(body.session.expires_at);
    expect(expiresAt.getTime() - Date.now(), "the session lives about two seconds").toBeLessThan(
      2_100,
    );

    // Whoami caches a lookup for 500 ms; this one is still cached when the session expires.
    await sleepUntil(expiresAt, -300);
    const before = await publicCall(app, "GET", "/sessions/whoami", { token });
    expect(before.status, `whoami just before expiry: ${before.text.slice(0, 200)}`).toBe(200);

    await sleepUntil(expiresAt, 50);
    for (const [method, path] of [
      ["GET", "/sessions/whoami"],
      ["GET", "/sessions"],
      ["DELETE", "/sessions"],
      ["GET", "/self-service/settings/api"],
    ] as const) {
      const reply = await publicCall(app, method, path, { token });
      expectErrorEnvelope(reply, 401, "session_inactive", `expired token: ${method} ${path}`);
    }
    const logout = await publicCall(app, "DELETE", "/self-service/logout/api", {
      json: { session_token: token },
    });
    expectErrorEnvelope(logout, 403, "forbidden", "expired token: logout");
    const registration = await publicCall(app, "GET", "/self-service/registration/api", { token });
    expect(registration.status, "registration init ignores the expired token").toBe(200);
  });
});
