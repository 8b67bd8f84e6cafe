import { Configuration, CourierApi } from "@ory/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../support/app.ts";
import { eventually } from "../support/eventually.ts";
import { admin, registerThroughPublicApi, startAdminTestApp } from "./support.ts";

let app: TestApp;

beforeAll(async () => {
  app = await startAdminTestApp("admin_courier_messages");
  // Each registration queues a verification mail.
  for (const email of ["first@example.com", "second@example.com", "third@example.com"]) {
    await registerThroughPublicApi(app, email, "a long and unusual passphrase 42");
  }
  await eventually(async () => {
    expect((await admin(app, "GET", "/admin/courier/messages")).body).toHaveLength(3);
  });
});

afterAll(async () => {
  await app?.close();
});

describe("GET /admin/courier/messages", () => {
  it("pages by the next link", async () => {
    const all = (await admin(app, "GET", "/admin/courier/messages")).body.map(
      (message: { id: string }) => message.id,
    );
    const seen: string[] = [];
    let path: string | undefined = "/admin/courier/messages?page_size=1";
    for (let round = 0; round < 5 && path !== undefined; round += 1) {
      const page = await admin(app, "GET", path);
      expect(page.status, page.text).toBe(200);
      expect(page.body).toHaveLength(1);
      seen.push(page.body[0].id);
      path = /<([^>]+)>; rel="next"/.exec(page.headers.get("link") ?? "")?.[1];
    }
    expect(seen).toEqual(all);
  });

  it("pages through the SDK", async () => {
    const courier = new CourierApi(
      new Configuration({ basePath: app.adminUrl, accessToken: app.adminKey }),
    );
    const first = await courier.listCourierMessages({ pageSize: 2 });
    expect(first.status).toBe(200);
    expect(first.data).toHaveLength(2);
    const next = /<([^>]+)>; rel="next"/.exec(String(first.headers.link))?.[1];
    const pageToken = new URL(next!, app.adminUrl).searchParams.get("page_token")!;
    const second = await courier.listCourierMessages({ pageSize: 2, pageToken });
    expect(second.data).toHaveLength(1);
  });

  it("rejects an unsigned page token", async () => {
    const forged = Buffer.from("courier:9").toString("base64url");
    const page = await admin(app, "GET", `/admin/courier/messages?page_token=${forged}`);
    expect(page.status).toBe(400);
    expect(page.body.error.id).toBe("bad_request");
  });
});
