import type { EventMetadata } from "../eventstore/envelope.ts";
import type { Erased } from "./erased.ts";
import { PersonalDataError } from "./errors.ts";
import { openFieldFromLookup } from "./field-cipher.ts";
import { type FieldToken, hasFieldTokenPrefix, parseFieldToken, sealField } from "./field-token.ts";
import type { DataKeyLookup, DataKeyStore } from "./key-store.ts";

/** The parts of a new or recorded event that the codec reads and rewrites. */
export interface CodecEvent {
  type: string;
  data: unknown;
  metadata: EventMetadata;
}

/** `source` fields of the metadata envelope that identify a person and are always encrypted. */
const personalSourceFields = ["ip", "userAgent"] as const;

/**
 * Encrypts the personal fields of events before they are appended and decrypts them after they
 * are read. Command handlers call `encryptEvent`, projections and readers call `decryptEvents`.
 */
export class PersonalDataCodec {
  readonly #keys: DataKeyStore;

  constructor(keys: DataKeyStore) {
    this.#keys = keys;
  }

  /**
   * Returns a copy of the event whose listed top-level `data` fields and `metadata.source.ip`
   * and `userAgent` are `pd1.` tokens under the subject's data key, created on first use. Absent
   * fields are skipped. Raises `reserved_prefix` when a string left in plaintext starts with
   * `pd1.`, because reading the event back would treat it as ciphertext.
   */
  async encryptEvent<E extends CodecEvent>(
    subjectId: string,
    event: E,
    fields: readonly string[],
  ): Promise<E> {
    const data = requireObject(event.data, event.type);
    for (const field of fields) {
      if (field.length === 0 || field.includes(".")) {
        throw new RangeError(`encrypted field names are top-level data keys, got "${field}"`);
      }
    }
    rejectReservedPrefix(omit(data, fields), `data`, event.type);
    const { source, ...envelope } = event.metadata;
    rejectReservedPrefix(envelope, "metadata", event.type);
    rejectReservedPrefix(omit(source ?? {}, personalSourceFields), "metadata.source", event.type);

    const key = await this.#keys.getOrCreateKey(subjectId);
    const seal = (path: string, value: unknown) =>
      sealField(key, subjectId, event.type, path, value);

    const encryptedData = { ...data };
    for (const field of fields) {
      if (data[field] !== undefined) encryptedData[field] = seal(`data.${field}`, data[field]);
    }
    const metadata: EventMetadata = { ...event.metadata };
    if (source) {
      const encryptedSource = { ...source };
      for (const field of personalSourceFields) {
        const value = source[field];
        if (value !== undefined) encryptedSource[field] = seal(`metadata.source.${field}`, value);
      }
      metadata.source = encryptedSource;
    }
    return { ...event, data: encryptedData, metadata };
  }

  /** Returns a copy of the event with every `pd1.` string in `data` and `metadata` decrypted. */
  async decryptEvent<E extends CodecEvent>(event: E): Promise<E> {
    const [decrypted] = await this.decryptEvents([event]);
    return decrypted!;
  }

  /**
   * Returns copies of the events with every `pd1.` string in `data` and `metadata` replaced by
   * its value, or by `ERASED` when its subject's key was destroyed. Looks up the keys of all
   * subjects in one read. Raises `malformed_ciphertext`, `field_authentication_failed` or
   * `missing_data_key`, and never returns a partly decrypted event.
   */
  async decryptEvents<E extends CodecEvent>(events: readonly E[]): Promise<E[]> {
    const subjectIds = new Set<string>();
    for (const event of events) {
      collectSubjectIds(event.data, subjectIds);
      collectSubjectIds(event.metadata, subjectIds);
    }
    if (subjectIds.size === 0) return [...events];

    const lookup = await this.#keys.findKeys([...subjectIds]);
    return events.map((event) => ({
      ...event,
      data: decryptTree(event.data, "data", event.type, lookup),
      metadata: decryptTree(event.metadata, "metadata", event.type, lookup) as EventMetadata,
    }));
  }
}

function collectSubjectIds(value: unknown, subjectIds: Set<string>): void {
  if (hasFieldTokenPrefix(value)) {
    subjectIds.add(parseFieldToken(value).subjectId);
  } else if (Array.isArray(value)) {
    for (const item of value) collectSubjectIds(item, subjectIds);
  } else if (isPlainObject(value)) {
    for (const item of Object.values(value)) collectSubjectIds(item, subjectIds);
  }
}

// Decrypted values are not walked again: a plaintext that starts with `pd1.` stays as it is.
function decryptTree(
  value: unknown,
  path: string,
  eventType: string,
  lookup: DataKeyLookup,
): unknown | Erased {
  if (hasFieldTokenPrefix(value)) {
    const token: FieldToken = parseFieldToken(value);
    return openFieldFromLookup(lookup, token, eventType, path);
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => decryptTree(item, `${path}.${index}`, eventType, lookup));
  }
  if (isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(value)) {
      copy[name] = decryptTree(item, `${path}.${name}`, eventType, lookup);
    }
    return copy;
  }
  return value;
}

function rejectReservedPrefix(value: unknown, path: string, eventType: string): void {
  if (hasFieldTokenPrefix(value)) {
    throw new PersonalDataError(
      "reserved_prefix",
      `plaintext ${eventType} ${path} starts with the reserved prefix "pd1.". Encrypt that ` +
        "field or reject the input",
    );
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      rejectReservedPrefix(item, `${path}.${index}`, eventType);
    });
  } else if (isPlainObject(value)) {
    for (const [name, item] of Object.entries(value)) {
      rejectReservedPrefix(item, `${path}.${name}`, eventType);
    }
  }
}

function requireObject(data: unknown, eventType: string): Record<string, unknown> {
  if (!isPlainObject(data)) throw new TypeError(`data of ${eventType} must be a JSON object`);
  return data;
}

function omit(value: object, names: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([name]) => !names.includes(name)));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
