import { timingSafeEqual } from "node:crypto";
import type { z } from "zod";

/** Computes a keyed MAC of a string; the same input must always give the same output. */
export type MacFunction = (purpose: string, message: string) => string;

const version = 1;

/**
 * Seals paging cursors into opaque `page_token`s: base64url JSON, a dot, and a MAC over the JSON
 * bound to the list the token belongs to. A client can pass a token back but cannot forge or
 * alter one, so a cursor never carries client-chosen values into a query.
 */
export class PageTokenSealer {
  readonly #mac: MacFunction;

  constructor(mac: MacFunction) {
    this.#mac = mac;
  }

  /** Seals `cursor` for the list named `purpose`, such as `identities`. */
  seal(purpose: string, cursor: unknown): string {
    const payload = Buffer.from(JSON.stringify({ v: version, c: cursor })).toString("base64url");
    return `${payload}.${this.#mac(macPurpose(purpose), payload)}`;
  }

  /**
   * Returns the cursor sealed in `token` for `purpose`, parsed with `schema`, or undefined when
   * the token is malformed, was sealed for another list or with another key, or was altered.
   */
  open<Schema extends z.ZodType>(
    purpose: string,
    token: string,
    schema: Schema,
  ): z.output<Schema> | undefined {
    const match = /^([A-Za-z0-9_-]{1,2048})\.([A-Za-z0-9_-]{16,128})$/.exec(token);
    if (!match) return undefined;

    const [, payload, mac] = match;
    const expected = Buffer.from(this.#mac(macPurpose(purpose), payload!));
    const presented = Buffer.from(mac!);
    // Equal lengths first, because timingSafeEqual throws on a length mismatch.
    if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) {
      return undefined;
    }

    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(payload!, "base64url").toString("utf8"));
    } catch {
      return undefined;
    }
    const envelope = decoded as { v?: unknown; c?: unknown } | null;
    if (typeof envelope !== "object" || envelope === null || envelope.v !== version) {
      return undefined;
    }
    const parsed = schema.safeParse(envelope.c);
    return parsed.success ? parsed.data : undefined;
  }
}

function macPurpose(purpose: string): string {
  return `page_token:${purpose}`;
}

/**
 * Builds a sealer whose MAC is the claim-key HMAC, so every instance that shares the claim key
 * secret accepts the others' tokens. The purpose prefix `page_token:` keeps these MACs apart
 * from claim keys, whose types never start with it.
 */
export function pageTokenSealerFromClaimKeys(claims: {
  claimKey(type: string, value: string): string;
}): PageTokenSealer {
  return new PageTokenSealer((purpose, message) => claims.claimKey(purpose, message));
}
