import type pg from "pg";
import type { Erased } from "../personal-data/erased.ts";
import type { FieldCipher } from "../personal-data/field-cipher.ts";
import type { CourierEventType } from "./message-request.ts";

/** The code or link of one requested message, as a flow stores it before the request event. */
export interface NewCourierSecret {
  messageId: string;
  identityId: string;
  /** The flow whose challenge the code or link completes. */
  flowId: string;
  /** Type of the request event, which the ciphertext is bound to, with the message id. */
  eventType: CourierEventType;
  /** The six-digit code or the link that the mail carries. */
  value: string;
  expiresAt: Date;
}

/** A message whose code or link the courier needs at send time. */
export interface CourierSecretLookup {
  messageId: string;
  eventType: CourierEventType;
}

/** The part of the store that delivery and the development-mode bodies read. */
export interface CourierSecretReader {
  findSecret(lookup: CourierSecretLookup, now: Date): Promise<string | Erased | undefined>;
  findSecrets(
    lookups: readonly CourierSecretLookup[],
    now: Date,
  ): Promise<Map<string, string | Erased>>;
}

/**
 * Stores the code or link of each requested verification and recovery mail in
 * `courier_secrets`, outside the event log, which must never hold a usable secret. Values are
 * `pd1.` tokens under the identity's data key, so an erasure destroys them with the key, and
 * rows go away when the code is used, replaced or expired.
 */
export class CourierSecretStore implements CourierSecretReader {
  readonly #pool: pg.Pool;
  readonly #cipher: FieldCipher;

  constructor(pool: pg.Pool, cipher: FieldCipher) {
    this.#pool = pool;
    this.#cipher = cipher;
  }

  /** Encrypts and stores a secret. Raises `subject_erased` when the identity was erased. */
  async saveSecret(secret: NewCourierSecret): Promise<void> {
    const field = secretField(secret.messageId);
    const token = await this.#cipher.encryptField(
      secret.identityId,
      secret.eventType,
      field,
      secret.value,
    );
    await this.#pool.query(
      `INSERT INTO courier_secrets (message_id, identity_id, flow_id, secret, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [secret.messageId, secret.identityId, secret.flowId, token, secret.expiresAt],
    );
  }

  /**
   * Returns the decrypted code or link of a message, `ERASED` when the identity was erased, or
   * undefined when the secret is missing or expired at `now`.
   */
  async findSecret(lookup: CourierSecretLookup, now: Date): Promise<string | Erased | undefined> {
    const secrets = await this.findSecrets([lookup], now);
    return secrets.get(lookup.messageId);
  }

  /** Returns the unexpired secrets of several messages by message id, like `findSecret`. */
  async findSecrets(
    lookups: readonly CourierSecretLookup[],
    now: Date,
  ): Promise<Map<string, string | Erased>> {
    const found = new Map<string, string | Erased>();
    if (lookups.length === 0) return found;

    const { rows } = await this.#pool.query<{ message_id: string; secret: string }>(
      "SELECT message_id, secret FROM courier_secrets WHERE message_id = ANY($1) AND expires_at > $2",
      [lookups.map((lookup) => lookup.messageId), now],
    );
    const tokens = new Map(rows.map((row) => [row.message_id, row.secret]));
    for (const { messageId, eventType } of lookups) {
      const token = tokens.get(messageId);
      if (token === undefined) continue;
      const value = await this.#cipher.decryptField(eventType, secretField(messageId), token);
      found.set(messageId, value as string | Erased);
    }
    return found;
  }

  /** Deletes the secret of one message, such as one whose request command was rejected. */
  async deleteSecret(messageId: string): Promise<void> {
    await this.#pool.query("DELETE FROM courier_secrets WHERE message_id = $1", [messageId]);
  }

  /** Deletes the secrets of a flow once its challenge is used or replaced. */
  async deleteFlowSecrets(flowId: string): Promise<void> {
    await this.#pool.query("DELETE FROM courier_secrets WHERE flow_id = $1", [flowId]);
  }

  /** Deletes the secrets that expired at or before `now` and returns how many. */
  async deleteExpiredSecrets(now: Date): Promise<number> {
    const { rowCount } = await this.#pool.query(
      "DELETE FROM courier_secrets WHERE expires_at <= $1",
      [now],
    );
    return rowCount ?? 0;
  }
}

// The message id in the bound field keeps a token from being moved to another message's row.
function secretField(messageId: string): string {
  return `courier_secrets.${messageId}.secret`;
}
