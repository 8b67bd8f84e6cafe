import type pg from "pg";
import { z } from "zod";
import type { CourierSecretReader } from "../../courier/courier-secrets.ts";
import {
  type CourierMessageRequest,
  extractMessageRequest,
  InvalidMessageRequestError,
  secretValues,
} from "../../courier/message-request.ts";
import type { CourierTemplates } from "../../courier/templates.ts";
import type { EventStore, RecordedEvent } from "../../eventstore/port.ts";
import { isErased } from "../../personal-data/erased.ts";

export type CourierMessageStatus = "queued" | "processing" | "sent" | "abandoned";

/** One delivery attempt, in Kratos's `messageDispatch` shape. */
export interface CourierDispatchJson {
  id: string;
  message_id: string;
  status: "failed" | "success";
  error?: { message: string };
  created_at: string;
  updated_at: string;
}

/** A courier message in Kratos's `message` shape. */
export interface CourierMessageJson {
  id: string;
  status: CourierMessageStatus;
  type: "email";
  recipient: string;
  body: string;
  subject: string;
  template_type: string;
  send_count: number;
  dispatches: CourierDispatchJson[];
  created_at: string;
  updated_at: string;
}

/** Body shown outside development, with Kratos's wording. */
export const redactedBody = "<redacted-unless-dev-mode>";

/** Raised on a page token this module did not issue or a page size outside 1 to 1000. */
export class InvalidCourierQueryError extends Error {
  override readonly name = "InvalidCourierQueryError";

  constructor(readonly parameter: "page_token" | "page_size") {
    super(`invalid ${parameter}`);
  }
}

export interface CourierMessageQueriesOptions {
  pool: pg.Pool;
  /** Shows rendered bodies; only for development, because they contain codes and links. */
  developmentMode: boolean;
  /** Needed in development mode to render bodies from the decrypted request events. */
  store?: EventStore;
  codec?: { decryptEvents<E extends RecordedEvent>(events: readonly E[]): Promise<E[]> };
  /** Source of the codes and links in development mode, because the events do not carry them. */
  secrets?: Pick<CourierSecretReader, "findSecrets">;
  templates?: CourierTemplates;
}

export interface ListCourierMessagesOptions {
  /** 1 to 1000; 250 when omitted, as in Kratos. */
  pageSize?: number;
  pageToken?: string;
  status?: CourierMessageStatus;
  /** Exact recipient address. */
  recipient?: string;
}

interface MessageRow {
  ordinal: string;
  id: string;
  stream_id: string;
  stream_version: string;
  status: CourierMessageStatus;
  recipient: string;
  subject: string;
  template_type: string;
  send_count: number;
  dispatches: CourierDispatchJson[];
  created_at: Date;
  updated_at: Date;
}

const columns = `ordinal, id, stream_id, stream_version, status, recipient, subject, template_type,
  send_count, dispatches, created_at, updated_at`;

/** Queries of the courier messages read model for the admin API, newest message first. */
export class CourierMessageQueries {
  readonly #options: CourierMessageQueriesOptions;

  constructor(options: CourierMessageQueriesOptions) {
    const { store, codec, secrets, templates } = options;
    if (options.developmentMode && !(store && codec && secrets && templates)) {
      throw new TypeError(
        "development mode needs the store, codec, secrets and templates to render bodies",
      );
    }
    this.#options = options;
  }

  /**
   * Lists messages with keyset paging. `nextPageToken` is set when more messages follow. Raises
   * `InvalidCourierQueryError` on a bad page token or page size.
   */
  async listCourierMessages(
    options: ListCourierMessagesOptions = {},
  ): Promise<{ messages: CourierMessageJson[]; nextPageToken?: string }> {
    const pageSize = options.pageSize ?? 250;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
      throw new InvalidCourierQueryError("page_size");
    }
    const before = options.pageToken === undefined ? undefined : parsePageToken(options.pageToken);

    const { rows } = await this.#options.pool.query<MessageRow>(
      `SELECT ${columns} FROM courier_messages
       WHERE ($1::bigint IS NULL OR ordinal < $1) AND ($2::text IS NULL OR status = $2)
         AND ($3::text IS NULL OR recipient = $3)
       ORDER BY ordinal DESC LIMIT $4`,
      [before ?? null, options.status ?? null, options.recipient ?? null, pageSize + 1],
    );
    const page = rows.slice(0, pageSize);
    const messages = await this.#toJson(page);
    const last = page.at(-1);
    if (rows.length <= pageSize || !last) return { messages };
    return { messages, nextPageToken: formatPageToken(last.ordinal) };
  }

  /** Returns one message, or undefined when the id is unknown or not a UUID. */
  async getCourierMessage(id: string): Promise<CourierMessageJson | undefined> {
    if (!z.uuid().safeParse(id).success) return undefined;
    const { rows } = await this.#options.pool.query<MessageRow>(
      `SELECT ${columns} FROM courier_messages WHERE id = $1`,
      [id],
    );
    const [message] = await this.#toJson(rows);
    return message;
  }

  async #toJson(rows: MessageRow[]): Promise<CourierMessageJson[]> {
    const bodies = this.#options.developmentMode
      ? await this.#renderBodies(rows)
      : rows.map(() => redactedBody);
    return rows.map((row, index) => ({
      id: row.id,
      status: row.status,
      type: "email",
      recipient: row.recipient,
      body: bodies[index]!,
      subject: row.subject,
      template_type: row.template_type,
      send_count: row.send_count,
      dispatches: row.dispatches,
      created_at: row.created_at.toISOString(),
      updated_at: row.updated_at.toISOString(),
    }));
  }

  /**
   * Renders plain-text bodies from the decrypted request events and their stored codes or
   * links. A body renders empty once the identity was erased, or the code was used, replaced
   * or expired.
   */
  async #renderBodies(rows: MessageRow[]): Promise<string[]> {
    const { store, codec, secrets, templates } = this.#options;
    const stored = await Promise.all(
      rows.map(async (row) => {
        const version = Number(row.stream_version);
        const [event] = await store!.readStream(row.stream_id, {
          fromVersion: version,
          toVersion: version,
        });
        return event;
      }),
    );
    const decrypted = await codec!.decryptEvents(stored.filter((event) => event !== undefined));
    const byId = new Map(decrypted.map((event) => [event.eventId, event]));
    const requests = stored.map((event) => event && readRequest(byId.get(event.eventId)!));
    const found = await secrets!.findSecrets(
      requests.filter((request) => request !== undefined),
      new Date(),
    );

    return requests.map((request) => {
      const secret = request && found.get(request.messageId);
      if (!request || secret === undefined || isErased(secret) || isErased(request.address)) {
        return "";
      }
      return templates!.render(request.template, {
        to: request.address,
        ...secretValues(request.template, secret),
        expiresAt: request.expiresAt,
      }).text;
    });
  }
}

/** Returns the request of a decrypted event, or undefined when the event breaks the contract. */
function readRequest(event: RecordedEvent): CourierMessageRequest | undefined {
  try {
    return extractMessageRequest(event);
  } catch (error) {
    if (error instanceof InvalidMessageRequestError) return undefined;
    throw error;
  }
}

function formatPageToken(ordinal: string): string {
  return Buffer.from(`courier:${ordinal}`).toString("base64url");
}

function parsePageToken(token: string): string {
  const match = /^courier:(\d{1,18})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!match) throw new InvalidCourierQueryError("page_token");
  return match[1]!;
}
