import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { send, startTestApp, type TestApp } from "./support.ts";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("registration_race");
});

afterAll(async () => {
  await app?.stop();
});

describe("parallel registrations", () => {
  it("create one identity per email", async () => {
    const flows = await Promise.all(
      Array.from({ length: 50 }, () => send(app, "GET", "/self-service/registration/api")),
    );
    const answers = await Promise.all(
      flows.map((flow, index) =>
        send(app, "POST", `/self-service/registration?flow=${flow.body.id}`, {
          json: {
            method: "password",
            password: `racing passphrase number ${index}`,
            // Spellings differ in case, but all normalise to one identifier.
            traits: { email: index % 2 === 0 ? "racer@example.com" : "Racer@Example.COM" },
          },
        }),
      ),
    );

    const created = answers.filter((answer) => answer.status === 200);
    const rejected = answers.filter((answer) => answer.status !== 200);
    expect(created).toHaveLength(1);
    expect(rejected).toHaveLength(49);
    for (const answer of rejected) {
      expect(answer.status).toBe(400);
      expect(answer.body.ui.messages.map((message: { id: number }) => message.id)).toEqual([
        4000007,
      ]);
    }

    const { rows } = await app.database.pool.query<{ count: string }>(
      "SELECT count(*) AS count FROM events WHERE event_type = 'IdentityRegistered'",
    );
    expect(Number(rows[0]?.count)).toBe(1);
  });
});
