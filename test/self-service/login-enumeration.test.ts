import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createIdentity,
  type FlowJson,
  type JsonResponse,
  registerIdentity,
  send,
  startTestApp,
  type TestApp,
} from "./support.ts";

// The hash must cost clearly more than the rest of a request. With a cheaper hash, a login that
// skipped the dummy verification would look as slow as one that verified a password.
const timedArgon2 = {
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  hashLength: 32,
  saltLength: 16,
};
const rounds = 7;
const password = "the right passphrase, 2026 edition";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("login_enumeration", {
    env: { LOGIN_ATTEMPTS_PER_IDENTIFIER: "1000" },
    hasherParameters: timedArgon2,
  });
  await registerIdentity(app, "known@example.com", password);
  await createIdentity(app, { email: "passwordless@example.com" });
});

afterAll(async () => {
  await app?.stop();
});

const cases = {
  unknownIdentifier: "unknown@example.com",
  wrongPassword: "known@example.com",
  noPassword: "passwordless@example.com",
} as const;

type Case = keyof typeof cases;

/** Submits a wrong login and returns the response and the duration of the POST alone. */
async function timedFailure(identifier: string): Promise<{ answer: JsonResponse; ms: number }> {
  const flow = await send(app, "GET", "/self-service/login/api");
  const started = performance.now();
  const answer = await send(app, "POST", `/self-service/login?flow=${flow.body.id}`, {
    json: { method: "password", identifier, password: "a wrong guess, 123" },
  });
  return { answer, ms: performance.now() - started };
}

/** Replaces what differs between flows (ids, times, the echoed identifier) with placeholders. */
function shapeOf(body: FlowJson): unknown {
  return JSON.parse(
    JSON.stringify(body)
      .replaceAll(body.id, "<flow>")
      .replace(/"\d{4}-\d\d-\d\dT[0-9:.]+Z"/g, '"<time>"')
      .replace(/"value":"[^"]*@example\.com"/g, '"value":"<identifier>"'),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe("login failures", () => {
  it("look the same for every cause", async () => {
    const answers = {} as Record<Case, JsonResponse>;
    for (const [name, identifier] of Object.entries(cases) as [Case, string][]) {
      answers[name] = (await timedFailure(identifier)).answer;
    }

    for (const answer of Object.values(answers)) {
      expect(answer.status).toBe(400);
      expect(answer.body.ui.messages.map((message: { id: number }) => message.id)).toEqual([
        4000006,
      ]);
    }
    expect(shapeOf(answers.unknownIdentifier.body)).toEqual(shapeOf(answers.wrongPassword.body));
    expect(shapeOf(answers.noPassword.body)).toEqual(shapeOf(answers.wrongPassword.body));
  });

  it("take about the same time for every cause", async () => {
    const durations: Record<Case, number[]> = {
      unknownIdentifier: [],
      wrongPassword: [],
      noPassword: [],
    };
    // Interleaved, so that a slow moment of the machine hits every case alike.
    for (let round = 0; round < rounds; round++) {
      for (const [name, identifier] of Object.entries(cases) as [Case, string][]) {
        durations[name].push((await timedFailure(identifier)).ms);
      }
    }

    const medians = {
      unknownIdentifier: median(durations.unknownIdentifier),
      wrongPassword: median(durations.wrongPassword),
      noPassword: median(durations.noPassword),
    };
    console.info("login failure medians in ms", JSON.stringify(medians));
    expect(medians.unknownIdentifier).toBeGreaterThan(0.5 * medians.wrongPassword);
    expect(medians.noPassword).toBeGreaterThan(0.5 * medians.wrongPassword);
    expect(medians.wrongPassword).toBeGreaterThan(0.5 * medians.unknownIdentifier);
  });
});
