import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csvCell } from "../../src/http/admin/audit-export.ts";
import { recordSecurityEvent } from "../../src/security/security-log.ts";
import type { TestApp } from "../support/app.ts";
import { eventually } from "../support/eventually.ts";
import {
  admin,
  createIdentity,
  expectError,
  loginThroughPublicApi,
  registerThroughPublicApi,
  startAdminTestApp,
} from "./support.ts";

let app: TestApp;
let identityId: string;
let otherId: string;
const hostileAgent = `=HYPERLINK("http://evil.example","x"), more`;
const password = "a long and unusual passphrase 42";

beforeAll(async () => {
  app = await startAdminTestApp("admin_audit");
  identityId = (await createIdentity(app, { traits: { email: "audited@example.com" } })).id;
  otherId = (await createIdentity(app, { traits: { email: "other@example.com" } })).id;
  for (const tier of [1, 2, 3]) {
    const response = await admin(app, "POST", "/admin/commands/SetMetadata", {
      body: { identity_id: identityId, metadata_admin: { tier } },
      headers: { "User-Agent": hostileAgent },
    });
    expect(response.status).toBe(200);
  }
  await eventually(async () => {
    const rows = await admin(app, "GET", `/admin/audit/events?identity_id=${identityId}`);
    expect(rows.body).toHaveLength(4);
  });
});

afterAll(async () => {
  await app?.close();
});

describe("GET /admin/audit/events", () => {
  it("filters by identity, actor and type", async () => {
    const byIdentity = await admin(app, "GET", `/admin/audit/events?identity_id=${identityId}`);
    expect(byIdentity.status).toBe(200);
    expect(byIdentity.body.map((row: { event_type: string }) => row.event_type)).toEqual([
      "IdentityCreated",
      "IdentityMetadataUpdated",
      "IdentityMetadataUpdated",
      "IdentityMetadataUpdated",
    ]);
    expect(byIdentity.body[1].actor_type).toBe("admin");
    expect(byIdentity.body[1].actor_id).toBe("bootstrap");
    expect(byIdentity.body[1].user_agent).toBe(hostileAgent);

    const byType = await admin(app, "GET", "/admin/audit/events?event_type=IdentityCreated");
    expect(byType.body.map((row: { identity_id: string }) => row.identity_id)).toEqual([
      identityId,
      otherId,
    ]);
    const byActor = await admin(app, "GET", "/admin/audit/events?actor_id=bootstrap");
    expect(byActor.body).toHaveLength(5);
    const nobody = await admin(
      app,
      "GET",
      "/admin/audit/events?actor_id=%27%20OR%20%271%27%3D%271",
    );
    expect(nobody.status).toBe(200);
    expect(nobody.body).toEqual([]);
  });

  it("filters by time range", async () => {
    const all = await admin(app, "GET", `/admin/audit/events?identity_id=${identityId}`);
    const third = all.body[2].recorded_at;
    const from = await admin(
      app,
      "GET",
      `/admin/audit/events?identity_id=${identityId}&from=${encodeURIComponent(third)}`,
    );
    expect(from.body.map((row: { ordinal: string }) => row.ordinal)).toEqual(
      all.body.slice(2).map((row: { ordinal: string }) => row.ordinal),
    );
    const to = await admin(
      app,
      "GET",
      `/admin/audit/events?identity_id=${identityId}&to=${encodeURIComponent(third)}`,
    );
    expect(to.body).toHaveLength(2);
  });

  it("pages with sealed tokens", async () => {
    const seen: string[] = [];
    let path: string | undefined = `/admin/audit/events?identity_id=${identityId}&page_size=3`;
    for (let round = 0; round < 4 && path !== undefined; round += 1) {
      const page = await admin(app, "GET", path);
      expect(page.status, page.text).toBe(200);
      seen.push(...page.body.map((row: { ordinal: string }) => row.ordinal));
      path = /<([^>]+)>; rel="next"/.exec(page.headers.get("link") ?? "")?.[1];
    }
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);

    const first = await admin(app, "GET", "/admin/audit/events?page_size=1");
    const link = first.headers.get("link")!;
    const token = new URL(/<([^>]+)>/.exec(link)![1]!, app.adminUrl).searchParams.get(
      "page_token",
    )!;
    const onIdentities = await admin(
      app,
      "GET",
      `/admin/identities?page_token=${encodeURIComponent(token)}`,
    );
    expectError(onIdentities, 400, "bad_request");
  });

  it("pages in numeric order past ordinal 9", async () => {
    const busyId = (await createIdentity(app, { traits: { email: "busy@example.com" } })).id;
    for (let tier = 1; tier <= 11; tier += 1) {
      const response = await admin(app, "POST", "/admin/commands/SetMetadata", {
        body: { identity_id: busyId, metadata_admin: { tier } },
      });
      expect(response.status).toBe(200);
    }
    const byOrdinal = (rows: { ordinal: string }[]) => rows.map((row) => Number(row.ordinal));
    let all: number[] = [];
    await eventually(async () => {
      const rows = await admin(app, "GET", `/admin/audit/events?identity_id=${busyId}`);
      all = byOrdinal(rows.body);
      expect(all).toHaveLength(12);
    });
    expect(all.at(-1)).toBeGreaterThan(9);
    expect(all).toEqual([...all].sort((a, b) => a - b));

    const seen: number[] = [];
    let path: string | undefined = `/admin/audit/events?identity_id=${busyId}&page_size=5`;
    for (let round = 0; round < 5 && path !== undefined; round += 1) {
      const page = await admin(app, "GET", path);
      expect(page.status, page.text).toBe(200);
      seen.push(...byOrdinal(page.body));
      path = /<([^>]+)>; rel="next"/.exec(page.headers.get("link") ?? "")?.[1];
    }
    expect(seen).toEqual(all);
  });

  it("exports NDJSON", async () => {
    const requests: { path: string; headers: Record<string, string> }[] = [
      { path: `/admin/audit/events?identity_id=${identityId}&format=ndjson`, headers: {} },
      {
        path: `/admin/audit/events?identity_id=${identityId}`,
        headers: { Accept: "application/x-ndjson" },
      },
    ];
    for (const request of requests) {
      const response = await admin(app, "GET", request.path, { headers: request.headers });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain("application/x-ndjson");
      const lines = response.text
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(lines).toHaveLength(4);
      expect(lines[0].event_type).toBe("IdentityCreated");
    }
  });

  it("exports CSV without formula injection", async () => {
    const response = await admin(
      app,
      "GET",
      `/admin/audit/events?identity_id=${identityId}&format=csv`,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/csv");
    const lines = response.text.split("\r\n");
    const header = [
      "ordinal",
      "event_id",
      "event_type",
      "stream_id",
      "stream_version",
      "identity_id",
      "actor_type",
      "actor_id",
      "session_id",
      "correlation_id",
      "causation_id",
      "request_id",
      "ip_address",
      "user_agent",
      "occurred_at",
      "recorded_at",
    ];
    expect(lines[0]).toBe(header.map((name) => `"${name}"`).join(","));
    expect(lines).toHaveLength(6);
    expect(lines[5]).toBe("");
    expect(lines[2]).toContain(`"'=HYPERLINK(""http://evil.example"",""x""), more"`);
    expect(response.text).not.toMatch(/(^|[,;"])=HYPERLINK/m);
  });

  it("quotes and defuses every risky cell", () => {
    expect(csvCell("=1+1")).toBe(`"'=1+1"`);
    expect(csvCell("+1")).toBe(`"'+1"`);
    expect(csvCell("-1")).toBe(`"'-1"`);
    expect(csvCell("@SUM(A1)")).toBe(`"'@SUM(A1)"`);
    expect(csvCell("\tx")).toBe(`"'\tx"`);
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell("line\nbreak")).toBe('"line\nbreak"');
    expect(csvCell("Mozilla;=cmd|' /C calc'!A0")).toBe(`"Mozilla;=cmd|' /C calc'!A0"`);
    expect(csvCell(null)).toBe('""');
    expect(csvCell(42)).toBe('"42"');
  });

  it("rejects bad filters", async () => {
    for (const query of [
      "identity_id=not-a-uuid",
      "identity_id=%27%3B%20DROP%20TABLE%20events%3B--",
      "event_type=drop%20table",
      "from=yesterday",
      "to=2025-02-30T00:00:00",
      "page_size=5000",
      "page_token=abc",
      "format=xml",
      `actor_id=${"a".repeat(201)}`,
      "actor_id=a%00b",
      "event_type=A&event_type=B",
    ]) {
      const response = await admin(app, "GET", `/admin/audit/events?${query}`);
      expectError(response, 400, "bad_request");
    }
  });

  it("lists failed logins from the security log", async () => {
    const { identityId: victim } = await registerThroughPublicApi(
      app,
      "victim@example.com",
      password,
    );
    const failed = await loginThroughPublicApi(app, "victim@example.com", "wrong password 123");
    expect(failed.status).toBe(400);

    const events = await admin(
      app,
      "GET",
      `/admin/audit/security-events?identity_id=${victim}&type=LoginFailed`,
    );
    expect(events.status, events.text).toBe(200);
    expect(events.body).toHaveLength(1);
    expect(events.body[0].type).toBe("LoginFailed");
    expect(events.body[0].data.reason).toBe("wrong_password");
    expect(JSON.stringify(events.body)).not.toContain("wrong password 123");

    const bad = await admin(app, "GET", "/admin/audit/security-events?type=Everything");
    expectError(bad, 400, "bad_request");
    const badIdentity = await admin(app, "GET", "/admin/audit/security-events?identity_id=x1");
    expectError(badIdentity, 400, "bad_request");
    expect(badIdentity.body.error.message).toContain("identity_id");
  });

  it("pages security events in numeric order", async () => {
    const subject = randomUUID();
    for (let attempt = 0; attempt < 12; attempt += 1) {
      await recordSecurityEvent(
        app.database.pool,
        {
          type: "LoginFailed",
          identityId: subject,
          identifierKey: "paged-key",
          data: { reason: "wrong_password", flowId: randomUUID() },
        },
        { actor: { type: "anonymous" } },
      );
    }
    const query = `/admin/audit/security-events?identity_id=${subject}`;
    const all = (await admin(app, "GET", query)).body.map((row: { id: string }) => Number(row.id));
    expect(all).toHaveLength(12);
    expect(all.at(-1)).toBeGreaterThanOrEqual(10);
    expect(all).toEqual([...all].sort((a, b) => a - b));

    const seen: number[] = [];
    let path: string | undefined = `${query}&page_size=5`;
    for (let round = 0; round < 5 && path !== undefined; round += 1) {
      const page = await admin(app, "GET", path);
      expect(page.status, page.text).toBe(200);
      seen.push(...page.body.map((row: { id: string }) => Number(row.id)));
      path = /<([^>]+)>; rel="next"/.exec(page.headers.get("link") ?? "")?.[1];
    }
    expect(seen).toEqual(all);
  });
});
