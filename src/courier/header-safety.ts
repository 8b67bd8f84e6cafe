/** A mailbox as nodemailer takes it: one address and an optional display name. */
export interface Mailbox {
  name?: string;
  address: string;
}

/** Raised when an address, name or subject could add or change a mail header. */
export class UnsafeHeaderError extends Error {
  override readonly name = "UnsafeHeaderError";
}

// nodemailer encodes a CR LF in a display name, but its address parser reads a string with CR LF
// or a comma as several recipients or a group, which would redirect the mail.
function hasControlCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    // C0 controls (NUL, CR and LF among them), DEL, and the Unicode line and paragraph separators.
    if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) return true;
  }
  return false;
}

// One addr-spec without quotes, comments, groups or lists: local part, `@`, dotted domain.
const addressPattern =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\u0080-\uffff-]{1,64}@[A-Za-z0-9\u0080-\uffff](?:[A-Za-z0-9\u0080-\uffff-]{0,62}[A-Za-z0-9\u0080-\uffff])?(?:\.[A-Za-z0-9\u0080-\uffff](?:[A-Za-z0-9\u0080-\uffff-]{0,62}[A-Za-z0-9\u0080-\uffff])?)*$/;

const maxAddressLength = 254;
const maxNameLength = 200;
const maxSubjectLength = 250;

/**
 * Checks that `address` is exactly one plain email address, so nodemailer cannot read it as a
 * list, a group or a header. Raises `UnsafeHeaderError` naming the rule, never the value.
 */
export function assertSingleAddress(address: string): string {
  if (hasControlCharacter(address)) {
    throw new UnsafeHeaderError("the address contains a control character such as CR, LF or NUL");
  }
  if (address.length > maxAddressLength || !addressPattern.test(address)) {
    throw new UnsafeHeaderError("the address is not one plain email address");
  }
  return address;
}

/** Checks a display name or subject for control characters and length. */
export function assertHeaderText(value: string, field: "name" | "subject"): string {
  if (hasControlCharacter(value)) {
    throw new UnsafeHeaderError(`the ${field} contains a control character such as CR, LF or NUL`);
  }
  const max = field === "name" ? maxNameLength : maxSubjectLength;
  if (value.length > max)
    throw new UnsafeHeaderError(`the ${field} is longer than ${max} characters`);
  return value;
}

/** Checks a mailbox before it reaches nodemailer. */
export function assertSafeMailbox(mailbox: Mailbox): Mailbox {
  const address = assertSingleAddress(mailbox.address);
  if (mailbox.name === undefined || mailbox.name === "") return { address };
  return { name: assertHeaderText(mailbox.name, "name"), address };
}

/**
 * Parses a sender as `SMTP_FROM` writes it, `Name <address>` or a bare address, and checks it.
 * Raises `UnsafeHeaderError` when it is anything else.
 */
export function parseSender(value: string): Mailbox {
  const trimmed = value.trim();
  const match = /^(.*?)\s*<([^<>]+)>$/.exec(trimmed);
  if (!match) return assertSafeMailbox({ address: trimmed });
  const name = match[1]!.replace(/^"(.*)"$/, "$1").trim();
  return assertSafeMailbox({ name, address: match[2]! });
}
