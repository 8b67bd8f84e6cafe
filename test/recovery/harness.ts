import { Configuration, FrontendApi } from "@ory/client";
import type { CapturedMail, CaptureServer } from "../../src/courier/capture-server.ts";
import { eventually } from "../support/eventually.ts";
import { type RegistrarForTest, startRegistrarForTest } from "../support/start-registrar.ts";

export interface FlowTestApp extends RegistrarForTest {
  capture: CaptureServer;
  frontend: FrontendApi;
  /** Waits for a mail to `address` beyond the first `skip` ones and returns its decoded text. */
  waitForMail(address: string, skip?: number): Promise<string>;
  /** Counts the mails received for `address`. */
  mailCount(address: string): number;
}

export interface FlowTestOptions {
  sendsPerAddress?: number;
  sendsPerIp?: number;
  codeLifespanSeconds?: number;
  /** More configuration, such as `ADMIN_API_KEYS`. */
  env?: Record<string, string>;
}

/**
 * Starts Registrar with its courier worker and SMTP capture server in the process, so that
 * codes and links arrive as real mails. Every file gets its own database and queue prefix.
 */
export async function startFlowTestApp(
  label: string,
  options: FlowTestOptions = {},
): Promise<FlowTestApp> {
  const app = await startRegistrarForTest(label, {
    env: {
      CODE_LIFESPAN_SECONDS: String(options.codeLifespanSeconds ?? 900),
      COURIER_CAPTURE_MAX_MESSAGES: "1000",
      COURIER_SENDS_PER_ADDRESS: String(options.sendsPerAddress ?? 50),
      COURIER_SENDS_PER_IP: String(options.sendsPerIp ?? 500),
      COURIER_SEND_WINDOW_SECONDS: "600",
      ...options.env,
    },
  });

  const capture = app.running.registrar.courier.captureServer;
  if (!capture) throw new Error("the courier started no SMTP capture server");
  const received = (address: string): CapturedMail[] =>
    capture.messages().filter((mail) => mail.envelope.to.includes(address));

  return {
    ...app,
    capture,
    frontend: new FrontendApi(new Configuration({ basePath: app.publicUrl })),
    mailCount: (address) => received(address).length,
    waitForMail: (address, skip = 0) =>
      eventually(async () => {
        const mail = received(address)[skip];
        if (!mail) throw new Error(`no mail number ${skip + 1} to ${address} yet`);
        return mailText(mail.raw);
      }, 15_000),
  };
}

/** Decodes every part of a mail and joins them, enough to find a code or link in it. */
export function mailText(raw: string): string {
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(raw)?.[1];
  const parts = boundary ? raw.split(`--${boundary}`).slice(1, -1) : [raw];
  return parts
    .map((part) => {
      const split = part.search(/\r?\n\r?\n/);
      const headers = part.slice(0, split).toLowerCase();
      const body = part.slice(split).trim();
      if (headers.includes("content-transfer-encoding: base64")) {
        return Buffer.from(body, "base64").toString("utf8");
      }
      if (headers.includes("content-transfer-encoding: quoted-printable")) {
        return body
          .replace(/=\r?\n/g, "")
          .replace(/=([0-9A-F]{2})/gi, (_, hex: string) =>
            String.fromCharCode(Number.parseInt(hex, 16)),
          );
      }
      return body;
    })
    .join("\n");
}

/** Returns the six-digit code of a code mail. */
export function codeOf(text: string): string {
  const match = /code (?:<strong>)?(\d{6})/.exec(text);
  if (!match) throw new Error("the mail contains no six-digit code");
  return match[1]!;
}

/** Returns the flow link of a link mail. */
export function linkOf(text: string): URL {
  const match = /(https?:\/\/[^\s"<>]+token=[A-Za-z0-9_-]{43})/.exec(text);
  if (!match) throw new Error("the mail contains no link with a token");
  return new URL(match[1]!.replace(/&amp;/g, "&"));
}

/** An HTTP error response as the SDK's axios raises it. */
export interface ErrorResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: error bodies are checked field by field.
  data: any;
}

/** Awaits a request that must fail and returns its status and body. */
export async function rejection(request: Promise<unknown>): Promise<ErrorResponse> {
  try {
    await request;
  } catch (error) {
    const response = (error as { response?: ErrorResponse }).response;
    if (response) return { status: response.status, data: response.data };
    throw error;
  }
  throw new Error("the request succeeded, but a failure was expected");
}

/** Reads a JSON response body whose fields the test checks one by one. */
// biome-ignore lint/suspicious/noExplicitAny: tests check the fields of the body one by one.
export async function jsonOf(response: Response): Promise<any> {
  return response.json();
}
