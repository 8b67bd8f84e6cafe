import type pg from "pg";
import { ClaimKeyHasher } from "./claim-key.ts";
import { PersonalDataCodec } from "./event-codec.ts";
import { FieldCipher } from "./field-cipher.ts";
import { createMasterKeyring, type MasterKeyring } from "./master-keyring.ts";
import { PostgresKeyStore } from "./postgres-key-store.ts";

export interface PersonalDataConfig {
  /** Current master key, 32 bytes (`MASTER_KEY`). */
  masterKey: Buffer;
  /** Earlier master keys, kept for reading until `rotateMasterKey` has re-wrapped every key. */
  previousMasterKeys?: readonly Buffer[];
  /** Secret of 32 bytes for unique-claim HMACs, independent of the master key and never rotated. */
  claimKeySecret: Buffer;
  /** Lifetime of a cached data key in each process, in milliseconds. Defaults to 30 000. */
  keyCacheTtlMs?: number;
}

/** The personal-data services that command handlers and projections share. */
export interface PersonalData {
  keyring: MasterKeyring;
  keys: PostgresKeyStore;
  cipher: FieldCipher;
  codec: PersonalDataCodec;
  claims: ClaimKeyHasher;
}

/** Builds the keyring, key store, cipher, event codec and claim hasher from configuration. */
export function createPersonalData(pool: pg.Pool, config: PersonalDataConfig): PersonalData {
  const keyring = createMasterKeyring({
    current: config.masterKey,
    previous: config.previousMasterKeys ?? [],
  });
  const keys = new PostgresKeyStore({ pool, keyring, cacheTtlMs: config.keyCacheTtlMs });
  return {
    keyring,
    keys,
    cipher: new FieldCipher(keys),
    codec: new PersonalDataCodec(keys),
    claims: new ClaimKeyHasher(config.claimKeySecret),
  };
}
