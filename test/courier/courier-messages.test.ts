import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CourierMessageQueries,
  InvalidCourierQueryError,
  redactedBody,
} from "../../src/projections/courier/courier-message-queries.ts";
import { eventually } from "../support/eventually.ts";
import { type CourierPipeline, startCourierPipeline } from "./pipeline.ts";
import {
  type AppendedRequest,
  appendMessageRequest,
  type CourierTestContext,
  createCourierTestContext,
  eraseIdentity,
} from "./support.ts";

let context: CourierTestContext;
let pipeline: CourierPipeline;
const sent: AppendedRequest[] = [];
const queued: AppendedRequest[] = [];

beforeAll(async () => {
  context = await createCourierTestContext("courier_messages");
  pipeline = await startCourierPipeline(context);
  for (let index = 0; index < 3; index += 1) {
    sent.push(await appendMessageRequest(context, { address: `sent-${index}@example.com` }));
  }
  await eventually(async () => expect(pipeline.capture!.messages()).toHaveLength(3), 15_000);

  await pipeline.workers[0]!.worker.pause();
  for (let index = 0; index < 2; index += 1) {
    queued.push(await appendMessageRequest(context, { address: `queued-${index}@example.com` }));
  }
  await eventually(async () => {
    await pipeline.runner.runUntilCaughtUp("courier_messages");
    const { messages } = await pipeline.queries.listCourierMessages();
    expect(messages.map((message) => message.status).sort()).toEqual([
      "queued",
      "queued",
      "sent",
      "sent",
      "sent",
    ]);
  }, 15_000);
});

afterAll(async () => {
  await pipeline.stop();
  await context.drop();
});

describe("courier messages read model", () => {
  it("pages newest first with tokens", async () => {
    const first = await pipeline.queries.listCourierMessages({ pageSize: 2 });
    const second = await pipeline.queries.listCourierMessages({
      pageSize: 2,
      pageToken: first.nextPageToken,
    });
    const third = await pipeline.queries.listCourierMessages({
      pageSize: 2,
      pageToken: second.nextPageToken,
    });

    expect(first.messages).toHaveLength(2);
    expect(second.messages).toHaveLength(2);
    expect(third.messages).toHaveLength(1);
    expect(first.nextPageToken).toBeTypeOf("string");
    expect(second.nextPageToken).toBeTypeOf("string");
    expect(third.nextPageToken).toBeUndefined();
    const ids = [...first.messages, ...second.messages, ...third.messages].map((m) => m.id);
    const appended = [...sent, ...queued].map((request) => request.messageId);
    expect(ids).toEqual(appended.reverse());
  });

  it("filters by status and recipient", async () => {
    const queuedPage = await pipeline.queries.listCourierMessages({ status: "queued" });
    expect(queuedPage.messages.map((m) => m.id).sort()).toEqual(
      queued.map((request) => request.messageId).sort(),
    );

    const sentPage = await pipeline.queries.listCourierMessages({ status: "sent", pageSize: 2 });
    expect(sentPage.messages).toHaveLength(2);
    expect(sentPage.messages.every((m) => m.status === "sent")).toBe(true);
    expect(sentPage.nextPageToken).toBeTypeOf("string");

    const byRecipient = await pipeline.queries.listCourierMessages({
      recipient: "sent-1@example.com",
    });
    expect(byRecipient.messages.map((m) => m.id)).toEqual([sent[1]!.messageId]);
  });

  it("returns Kratos's message shape with a redacted body", async () => {
    const message = await pipeline.queries.getCourierMessage(sent[0]!.messageId);

    expect(Object.keys(message!).sort()).toEqual(
      [
        "body",
        "created_at",
        "dispatches",
        "id",
        "recipient",
        "send_count",
        "status",
        "subject",
        "template_type",
        "type",
        "updated_at",
      ].sort(),
    );
    expect(message!.body).toBe(redactedBody);
    expect(redactedBody).toBe("<redacted-unless-dev-mode>");
    expect(message!.type).toBe("email");
    expect(message!.subject).toBe("Your verification code");
    expect(message!.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(JSON.stringify(message)).not.toContain(sent[0]!.code!);
  });

  it("renders the body in development mode", async () => {
    const queries = new CourierMessageQueries({
      pool: context.database.pool,
      developmentMode: true,
      store: context.store,
      codec: context.personalData.codec,
      secrets: context.secrets,
      templates: pipeline.templates,
    });

    const message = await queries.getCourierMessage(queued[0]!.messageId);
    expect(message!.body).toContain(`Use code ${queued[0]!.code} to verify your email address.`);
    const { messages } = await queries.listCourierMessages();
    expect(messages.every((m) => m.body.includes("Use code"))).toBe(true);
  });

  it("renders an empty body once the code is used", async () => {
    const queries = new CourierMessageQueries({
      pool: context.database.pool,
      developmentMode: true,
      store: context.store,
      codec: context.personalData.codec,
      secrets: context.secrets,
      templates: pipeline.templates,
    });
    const target = sent[1]!;
    expect((await queries.getCourierMessage(target.messageId))!.body).toContain(target.code!);

    await context.secrets.deleteFlowSecrets(target.flowId);
    const message = await queries.getCourierMessage(target.messageId);
    expect(message!.body).toBe("");
    expect(message!.status).toBe("sent");
  });

  it("requires the secrets in development mode", () => {
    const options = {
      pool: context.database.pool,
      developmentMode: true,
      store: context.store,
      codec: context.personalData.codec,
      templates: pipeline.templates,
    };
    expect(() => new CourierMessageQueries(options)).toThrow(
      "development mode needs the store, codec, secrets and templates to render bodies",
    );
  });

  it("blanks the recipient of an erased identity", async () => {
    const target = sent[2]!;
    await eraseIdentity(context, target.identityId);

    const message = await eventually(async () => {
      await pipeline.runner.runUntilCaughtUp("courier_messages");
      const found = await pipeline.queries.getCourierMessage(target.messageId);
      expect(found!.recipient).toBe("");
      return found!;
    }, 15_000);
    expect(message.status).toBe("sent");
    const byOldAddress = await pipeline.queries.listCourierMessages({
      recipient: "sent-2@example.com",
    });
    expect(byOldAddress.messages).toHaveLength(0);

    const development = new CourierMessageQueries({
      pool: context.database.pool,
      developmentMode: true,
      store: context.store,
      codec: context.personalData.codec,
      secrets: context.secrets,
      templates: pipeline.templates,
    });
    expect((await development.getCourierMessage(target.messageId))!.body).toBe("");
  });

  it("returns nothing for an unknown id", async () => {
    expect(await pipeline.queries.getCourierMessage(randomUUID())).toBeUndefined();
    expect(await pipeline.queries.getCourierMessage("not-a-uuid")).toBeUndefined();
  });

  it("rejects a forged page token", async () => {
    const forged = Buffer.from("identities:12").toString("base64url");
    const error = await pipeline.queries
      .listCourierMessages({ pageToken: forged })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidCourierQueryError);
    expect((error as InvalidCourierQueryError).parameter).toBe("page_token");

    const size = await pipeline.queries
      .listCourierMessages({ pageSize: 1001 })
      .catch((caught: unknown) => caught);
    expect((size as InvalidCourierQueryError).parameter).toBe("page_size");
  });
});
