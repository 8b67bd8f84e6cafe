/** An RFC 3339 timestamp in UTC with milliseconds, as `Date.prototype.toISOString` writes it. */
export type Timestamp = string;

/**
 * An event as a domain decision returns it. The command layer adds the event id and the
 * metadata envelope, and encrypts the event type's personal fields before appending.
 */
export interface DomainEvent<Type extends string = string, Data extends object = object> {
  /** Past-tense type name, equal to the TypeScript type's name. */
  type: Type;
  /** Version of the `data` shape; 1 when omitted. */
  schemaVersion?: number;
  data: Data;
}
