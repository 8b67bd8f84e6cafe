import type pg from "pg";
import { z } from "zod";
import { courierStreamEventTypes, courierStreamPrefix } from "../../courier/courier-events.ts";
import { defaultSubject } from "../../courier/default-templates.ts";
import { courierEventTypes, courierTemplateTypes } from "../../courier/message-request.ts";
import type { RecordedEvent } from "../../eventstore/port.ts";
import type { ProjectionDefinition } from "../projection.ts";

const identityStreamPrefix = "identity-";

const requestSchema = z.object({
  messageId: z.uuid(),
  template: z.enum(courierTemplateTypes),
  address: z.string(),
});

/**
 * Courier messages as Kratos's admin API lists them: one row per requested message with its
 * status (`queued`, `processing`, `sent`, `abandoned`), send count and dispatches. The recipient
 * is plaintext, so the runner must decrypt events for this projection; the recipient is blanked
 * when the identity is erased or deleted. The body is never stored.
 */
export function courierMessagesProjection(): ProjectionDefinition {
  return {
    name: "courier_messages",
    version: 1,
    kind: "read_model",
    eventTypes: [
      ...courierEventTypes,
      ...courierStreamEventTypes,
      "IdentityErased",
      "IdentityDeleted",
    ],
    tables: ["courier_messages"],
    async createTables(tx, table) {
      const name = table("courier_messages");
      await tx.query(`CREATE TABLE ${name} (
        ordinal bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        id uuid PRIMARY KEY,
        event_id uuid NOT NULL,
        stream_id text NOT NULL,
        stream_version bigint NOT NULL,
        identity_id uuid NOT NULL,
        type text NOT NULL,
        template_type text NOT NULL,
        status text NOT NULL CHECK (status IN ('queued', 'processing', 'sent', 'abandoned')),
        recipient text NOT NULL,
        subject text NOT NULL,
        send_count integer NOT NULL DEFAULT 0,
        dispatches jsonb NOT NULL DEFAULT '[]',
        courier_version integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL)`);
      await tx.query(`CREATE INDEX ON ${name} (status, ordinal)`);
      await tx.query(`CREATE INDEX ON ${name} (recipient, ordinal)`);
      await tx.query(`CREATE INDEX ON ${name} (identity_id)`);
    },
    async apply(events, { tx, table }) {
      const name = table("courier_messages");
      for (const event of events) {
        if (event.type === "IdentityErased" || event.type === "IdentityDeleted") {
          await blankRecipients(tx, name, event);
        } else if (event.streamId.startsWith(courierStreamPrefix)) {
          await applyCourierEvent(tx, name, event);
        } else {
          await insertRequest(tx, name, event);
        }
      }
    },
  };
}

async function insertRequest(tx: pg.PoolClient, name: string, event: RecordedEvent) {
  const request = requestSchema.parse(event.data);
  const identityId = event.streamId.slice(identityStreamPrefix.length);
  await tx.query(
    `INSERT INTO ${name} (id, event_id, stream_id, stream_version, identity_id, type,
       template_type, status, recipient, subject, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, 'email', $6, 'queued', $7, $8, $9, $9)
     ON CONFLICT (id) DO NOTHING`,
    [
      request.messageId,
      event.eventId,
      event.streamId,
      event.streamVersion,
      identityId,
      request.template,
      plainOrEmpty(request.address),
      defaultSubject(request.template),
      event.recordedAt,
    ],
  );
}

async function applyCourierEvent(tx: pg.PoolClient, name: string, event: RecordedEvent) {
  const messageId = event.streamId.slice(courierStreamPrefix.length);
  const data = event.data as { subject?: string; error?: string };
  const dispatch = (status: "failed" | "success") => ({
    id: event.eventId,
    message_id: messageId,
    status,
    ...(status === "failed" ? { error: { message: data.error ?? "" } } : {}),
    created_at: event.recordedAt.toISOString(),
    updated_at: event.recordedAt.toISOString(),
  });

  const changes: Record<string, { set: string; values: unknown[] }> = {
    CourierDeliveryStarted: { set: "status = 'processing', subject = $4", values: [data.subject] },
    CourierMessageSent: {
      set: "status = 'sent', send_count = send_count + 1, dispatches = dispatches || $4::jsonb",
      values: [JSON.stringify([dispatch("success")])],
    },
    CourierDeliveryFailed: {
      set: "status = 'queued', send_count = send_count + 1, dispatches = dispatches || $4::jsonb",
      values: [JSON.stringify([dispatch("failed")])],
    },
    CourierMessageAbandoned: { set: "status = 'abandoned'", values: [] },
  };
  const change = changes[event.type];
  if (!change) return;
  await tx.query(
    `UPDATE ${name} SET ${change.set}, courier_version = $2, updated_at = $3
     WHERE id = $1 AND courier_version < $2`,
    [messageId, event.streamVersion, event.recordedAt, ...change.values],
  );
}

async function blankRecipients(tx: pg.PoolClient, name: string, event: RecordedEvent) {
  if (!event.streamId.startsWith(identityStreamPrefix)) return;
  const identityId = event.streamId.slice(identityStreamPrefix.length);
  await tx.query(`UPDATE ${name} SET recipient = '' WHERE identity_id = $1`, [identityId]);
}

/** Keeps a decrypted address; ciphertext or the erased marker is not worth showing. */
function plainOrEmpty(value: string): string {
  return value.startsWith("pd1.") || value === "[erased]" ? "" : value;
}
