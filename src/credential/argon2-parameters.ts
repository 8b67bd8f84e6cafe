/** Cost parameters for new argon2id hashes. */
export interface Argon2Parameters {
  /** Memory per hash in KiB; at least 8 × `parallelism`. */
  memoryCost: number;
  /** Number of passes over the memory. */
  timeCost: number;
  /** Number of lanes. */
  parallelism: number;
  /** Length of the derived key in bytes. */
  hashLength: number;
  /** Length of the random salt in bytes. */
  saltLength: number;
}

/**
 * One of the argon2id configurations in the OWASP Password Storage Cheat Sheet: 19 MiB of
 * memory, 2 passes, 1 lane.
 */
export const owaspArgon2Parameters: Readonly<Argon2Parameters> = Object.freeze({
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  hashLength: 32,
  saltLength: 16,
});

/** Minimal costs for tests where hashing cost is not under test; never use them in production. */
export const testArgon2Parameters: Readonly<Argon2Parameters> = Object.freeze({
  memoryCost: 256,
  timeCost: 1,
  parallelism: 1,
  hashLength: 32,
  saltLength: 16,
});

/**
 * Raises a `RangeError` naming the first parameter below the minimum that argon2 and the hash
 * parser accept. The upper bounds are those of `hashCostLimits`, which `PasswordHasher.create`
 * checks on a real hash.
 */
export function validateArgon2Parameters(parameters: Argon2Parameters): void {
  const minimums: [keyof Argon2Parameters, number][] = [
    ["parallelism", 1],
    ["timeCost", 1],
    ["memoryCost", 8 * Math.max(1, parameters.parallelism)],
    ["hashLength", 16],
    ["saltLength", 16],
  ];
  for (const [name, minimum] of minimums) {
    const value = parameters[name];
    if (!Number.isInteger(value) || value < minimum) {
      throw new RangeError(
        `invalid argon2 parameter ${name}: ${value}; use an integer of at least ${minimum}`,
      );
    }
  }
}
