const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reports whether a value is a UUID in its canonical text form, in either letter case. */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}
