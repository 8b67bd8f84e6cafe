import nodemailer from "nodemailer";
import { assertHeaderText, assertSafeMailbox, type Mailbox } from "./header-safety.ts";
import type { RenderedMail } from "./templates.ts";

/** The part of a nodemailer transporter the courier uses. */
export interface MailTransport {
  sendMail(message: {
    from: Mailbox;
    to: Mailbox;
    subject: string;
    text: string;
    html: string;
    messageId: string;
  }): Promise<unknown>;
  close(): void;
}

export interface MailTransportOptions {
  /** Connections kept open to the SMTP server; 5 when omitted. */
  maxConnections?: number;
  /** Milliseconds to wait for the TCP connection and for the greeting; 10 000 when omitted. */
  connectTimeoutMs?: number;
  /** Milliseconds of socket inactivity before a send fails; 30 000 when omitted. */
  socketTimeoutMs?: number;
}

/**
 * Creates a pooled SMTP transport for `SMTP_URL`. The timeouts are far shorter than nodemailer's
 * defaults (2 minutes to connect, 10 minutes idle), so that a stuck server fails an attempt well
 * within the courier's delivery lease.
 */
export function createMailTransport(
  smtpUrl: string,
  options: MailTransportOptions = {},
): MailTransport {
  const connectTimeout = options.connectTimeoutMs ?? 10_000;
  return nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    connectionTimeout: connectTimeout,
    greetingTimeout: connectTimeout,
    socketTimeout: options.socketTimeoutMs ?? 30_000,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
}

/**
 * Sends one rendered mail after checking every header value, so an address or name with CR,
 * LF or NUL never reaches nodemailer. Raises `UnsafeHeaderError` before any network traffic.
 * `messageId` becomes the `Message-ID` header, the same on every attempt of one message, so a
 * receiving server or client can drop a copy sent twice.
 */
export async function sendRenderedMail(
  transport: MailTransport,
  envelope: { from: Mailbox; to: Mailbox; messageId: string },
  mail: RenderedMail,
): Promise<void> {
  const from = assertSafeMailbox(envelope.from);
  const to = assertSafeMailbox(envelope.to);
  const subject = assertHeaderText(mail.subject, "subject");
  await transport.sendMail({
    from,
    to,
    subject,
    text: mail.text,
    html: mail.html,
    messageId: envelope.messageId,
  });
}

const emailPattern = /[^\s<>"'(),;:]+@[^\s<>"'(),;:]+/g;
const maxErrorLength = 300;

/**
 * Describes a failed send in text safe to store in events and show to administrators: the
 * nodemailer error code, the SMTP reply code and the server's reply, with every email address
 * and each of `secrets` (address, code, link) replaced.
 */
export function describeDeliveryError(error: unknown, secrets: readonly string[]): string {
  const details = error as { code?: unknown; responseCode?: unknown; response?: unknown };
  const parts: string[] = [];
  if (typeof details.code === "string") parts.push(details.code);
  if (typeof details.responseCode === "number") parts.push(String(details.responseCode));
  const reply =
    typeof details.response === "string"
      ? details.response
      : error instanceof Error
        ? error.message
        : String(error);

  let text = parts.length > 0 ? `${parts.join(" ")}: ${reply}` : reply;
  for (const secret of secrets) {
    if (secret.length > 0) text = text.split(secret).join("[redacted]");
  }
  text = text.replace(emailPattern, "[address]").replace(/[\r\n]+/g, " ");
  return text.length > maxErrorLength ? `${text.slice(0, maxErrorLength)}…` : text;
}
