import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../support/app.ts";
import { admin, createIdentity, expectError, startAdminTestApp } from "./support.ts";

let app: TestApp;
const createdIds: string[] = [];

beforeAll(async () => {
  app = await startAdminTestApp("admin_paging");
  for (let index = 0; index < 25; index += 1) {
    const identity = await createIdentity(app, {
      traits: { email: `page-${String(index).padStart(2, "0")}@example.com` },
    });
    createdIds.push(identity.id);
  }
});

afterAll(async () => {
  await app?.close();
});

function nextLink(link: string | null): string | undefined {
  const match = /<([^>]+)>; rel="next"/.exec(link ?? "");
  return match?.[1];
}

describe("GET /admin/identities paging", () => {
  it("walks 25 identities in pages of 10", async () => {
    const pages: string[][] = [];
    let path: string | undefined = "/admin/identities?page_size=10";
    for (let round = 0; round < 5 && path !== undefined; round += 1) {
      const response = await admin(app, "GET", path);
      expect(response.status, response.text).toBe(200);
      pages.push(response.body.map((identity: { id: string }) => identity.id));
      expect(response.headers.get("link")).toContain('rel="first"');
      path = nextLink(response.headers.get("link"));
    }
    expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
    expect(pages.flat()).toEqual(createdIds);
  });

  it("rejects a forged page token", async () => {
    const forged = Buffer.from(
      JSON.stringify({ v: 1, c: { createdAt: "1970-01-01T00:00:00.000Z", id: randomUUID() } }),
    ).toString("base64url");
    const response = await admin(
      app,
      "GET",
      `/admin/identities?page_token=${forged}.${"A".repeat(43)}`,
    );
    expectError(response, 400, "bad_request");
    expect(response.body.error.details.parameter).toBe("page_token");
  });

  it("rejects a tampered page token", async () => {
    const first = await admin(app, "GET", "/admin/identities?page_size=10");
    const next = new URL(nextLink(first.headers.get("link"))!, app.adminUrl);
    const token = next.searchParams.get("page_token")!;
    const [payload, mac] = token.split(".");
    const decoded = JSON.parse(Buffer.from(payload!, "base64url").toString());
    decoded.c.createdAt = "1970-01-01T00:00:00.000Z";
    const altered = `${Buffer.from(JSON.stringify(decoded)).toString("base64url")}.${mac}`;

    const response = await admin(app, "GET", `/admin/identities?page_token=${altered}`);
    expectError(response, 400, "bad_request");
    const garbage = await admin(app, "GET", "/admin/identities?page_token=%27%20OR%201%3D1--");
    expectError(garbage, 400, "bad_request");
  });

  it("rejects a page size out of range", async () => {
    for (const size of ["0", "1001", "-1", "ten", "1e3"]) {
      const response = await admin(app, "GET", `/admin/identities?page_size=${size}`);
      expectError(response, 400, "bad_request");
    }
    const max = await admin(app, "GET", "/admin/identities?page_size=1000");
    expect(max.status).toBe(200);
    expect(max.body).toHaveLength(25);
  });

  it("filters by ids without paging", async () => {
    const wanted = [createdIds[3]!, createdIds[17]!, randomUUID()];
    const query = wanted.map((id) => `ids=${id}`).join("&");
    const response = await admin(app, "GET", `/admin/identities?${query}`);
    expect(response.status).toBe(200);
    expect(response.body.map((identity: { id: string }) => identity.id).sort()).toEqual(
      [createdIds[3], createdIds[17]].sort(),
    );
  });

  it("rejects more than 500 ids", async () => {
    // Short values, because 501 UUIDs exceed Node's 16 KiB header limit before any route runs.
    const query = Array.from({ length: 501 }, () => "ids=x").join("&");
    const response = await admin(app, "GET", `/admin/identities?${query}`);
    expectError(response, 400, "bad_request");
    expect(response.body.error.message).toContain("at most 500");
  });

  it("rejects combined filters", async () => {
    const response = await admin(
      app,
      "GET",
      `/admin/identities?ids=${createdIds[0]}&credentials_identifier=page-00@example.com`,
    );
    expectError(response, 400, "bad_request");
  });

  it("matches credentials_identifier after normalisation", async () => {
    const response = await admin(
      app,
      "GET",
      `/admin/identities?credentials_identifier=${encodeURIComponent(" PAGE-07@Example.COM ")}`,
    );
    expect(response.status).toBe(200);
    expect(response.body.map((identity: { id: string }) => identity.id)).toEqual([createdIds[7]]);
  });
});
