export * from "./argon2-parameters.ts";
export * from "./breached-password-checker.ts";
export * from "./digest-hash-format.ts";
export * from "./password-hash-format.ts";
export * from "./password-hasher.ts";
export * from "./scrypt-hash-format.ts";
