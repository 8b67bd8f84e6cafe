import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";

/** A mail the capture server received, as the SMTP client sent it. */
export interface CapturedMail {
  /** Sequence number, starting at 1 for each server. */
  id: number;
  receivedAt: Date;
  envelope: { from: string | undefined; to: string[] };
  /** Header fields, names in lower case, folded lines joined. */
  headers: Record<string, string[]>;
  /** The whole message as received, headers and MIME body. */
  raw: string;
}

export interface CaptureServerOptions {
  /** Interface to listen on; `127.0.0.1` when omitted. Keep it local: there is no auth. */
  host?: string;
  /** Port to listen on; 0, a free port, when omitted. */
  port?: number;
  /** Mails kept in memory, oldest dropped first; 100 when omitted. */
  maxMessages?: number;
  /** Largest accepted mail in bytes; 1 MiB when omitted. */
  maxMessageBytes?: number;
  logger?: Logger;
}

export interface CaptureServer {
  /** SMTP URL for nodemailer, such as `smtp://127.0.0.1:1025`. */
  url: string;
  port: number;
  /** Mails received, oldest first. */
  messages(): readonly CapturedMail[];
  /** Calls `listener` for every mail received from now on; returns a function that stops it. */
  onMessage(listener: (mail: CapturedMail) => void): () => void;
  clear(): void;
  close(): Promise<void>;
}

/**
 * Starts an SMTP server that accepts every mail without authentication and keeps the last ones
 * in memory, for development without `SMTP_URL`. STARTTLS is off, because smtp-server's built-in
 * certificate is expired and its private key is public.
 */
export async function startCaptureServer(
  options: CaptureServerOptions = {},
): Promise<CaptureServer> {
  const maxMessages = options.maxMessages ?? 100;
  const mails: CapturedMail[] = [];
  const listeners = new Set<(mail: CapturedMail) => void>();
  let sequence = 0;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    size: options.maxMessageBytes ?? 1024 * 1024,
    rejectOversized: true,
    disableReverseLookup: true,
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        if (stream.sizeExceeded) return callback(new Error("message exceeds the size limit"));
        sequence += 1;
        const mail = capture(sequence, session, Buffer.concat(chunks).toString("utf8"));
        mails.push(mail);
        if (mails.length > maxMessages) mails.shift();
        for (const listener of listeners) listener(mail);
        callback();
      });
    },
  });
  server.on("error", (error) => options.logger?.warn({ err: error }, "SMTP capture server error"));

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  const url = `smtp://${host}:${port}`;
  options.logger?.info({ url, max_messages: maxMessages }, "SMTP capture server started");

  return {
    url,
    port,
    messages: () => [...mails],
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clear: () => {
      mails.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function capture(id: number, session: SMTPServerSession, raw: string): CapturedMail {
  const { mailFrom, rcptTo } = session.envelope;
  return {
    id,
    receivedAt: new Date(),
    envelope: {
      from: mailFrom ? mailFrom.address : undefined,
      to: rcptTo.map((recipient) => recipient.address),
    },
    headers: parseHeaders(raw),
    raw,
  };
}

function parseHeaders(raw: string): Record<string, string[]> {
  const end = raw.search(/\r?\n\r?\n/);
  const block = end === -1 ? raw : raw.slice(0, end);
  const headers: Record<string, string[]> = {};
  for (const line of block.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers[name] ??= [];
    headers[name].push(line.slice(colon + 1).trim());
  }
  return headers;
}
