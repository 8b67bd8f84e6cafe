import type { IncomingMessage } from "node:http";
import type { Context, Middleware } from "koa";
import { badRequest, requestBodyTooLarge, unsupportedMediaType } from "../errors.ts";
import { decodeForm, decodeJson, expandDottedKeys } from "./body-decoding.ts";

const FORM_TYPE = "application/x-www-form-urlencoded";

export interface BodyParserOptions {
  /** Maximum body size in bytes, counted as the bytes arrive. Default 100 KiB. */
  limitBytes?: number;
  /** Media types parsed as JSON. Default `application/json`. */
  jsonTypes?: readonly string[];
  /** Whether `application/x-www-form-urlencoded` is accepted. Default true. */
  form?: boolean;
  /**
   * Expected JSON root. `object` rejects any other root and expands the object's dotted keys.
   * `any` keeps the parsed value as it is, for bodies such as a JSON Patch array.
   * Default `object`.
   */
  root?: "object" | "any";
  /** Maximum nesting of JSON objects and arrays. Default `MAX_BODY_DEPTH`, 32. */
  maxDepth?: number;
}

export const DEFAULT_BODY_LIMIT_BYTES = 100 * 1024;

/**
 * Reads and decodes the request body. Returns undefined when the request has no body. Throws a
 * `RegistrarError`: 413 `request_body_too_large` as soon as more than the limit has arrived,
 * 415 `unsupported_media_type` for other content types, charsets or content encodings, and
 * 400 `bad_request` for malformed, unsafe or wrongly shaped bodies. When it throws before the
 * body has arrived in full, it sets `Connection: close`, so Node closes the connection after the
 * response instead of reading the rest of the body to reuse the connection.
 */
export async function readBody(ctx: Context, options: BodyParserOptions = {}): Promise<unknown> {
  try {
    return await decodeBody(ctx, options);
  } catch (error) {
    if (!ctx.req.complete) ctx.set("Connection", "close");
    throw error;
  }
}

async function decodeBody(ctx: Context, options: BodyParserOptions): Promise<unknown> {
  const limitBytes = options.limitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const jsonTypes = options.jsonTypes ?? ["application/json"];
  const acceptsForm = options.form ?? true;
  if (!hasBody(ctx.req)) return undefined;

  const { mediaType, charset } = parseContentType(ctx.get("Content-Type"));
  const isJson = jsonTypes.includes(mediaType);
  const isForm = acceptsForm && mediaType === FORM_TYPE;
  const accepted = [...jsonTypes, ...(acceptsForm ? [FORM_TYPE] : [])];
  if (!isJson && !isForm) rejectMediaType(`content type "${mediaType}"`, accepted);
  if (charset !== undefined && charset !== "utf-8") {
    rejectMediaType(`charset "${charset}"`, accepted);
  }

  const encoding = ctx.get("Content-Encoding").trim().toLowerCase();
  if (encoding !== "" && encoding !== "identity") {
    rejectMediaType(`content encoding "${encoding}"`, accepted);
  }

  const declaredLength = Number(ctx.get("Content-Length") || "0");
  if (declaredLength > limitBytes) throw requestBodyTooLarge(limitBytes);

  const text = decodeUtf8(await readRawBody(ctx.req, limitBytes));
  if (isForm) return decodeForm(text);
  return shapeJson(decodeJson(text, options.maxDepth), options.root ?? "object");
}

/** Creates middleware that stores the result of `readBody` in `ctx.state.body`. */
export function bodyParser(options: BodyParserOptions = {}): Middleware {
  return async function parseBody(ctx, next) {
    ctx.state.body = await readBody(ctx, options);
    await next();
  };
}

/** Returns the body that `bodyParser()` decoded, or undefined when the request had none. */
export function requestBody(ctx: Context): unknown {
  return ctx.state.body;
}

function hasBody(req: IncomingMessage): boolean {
  if (req.headers["transfer-encoding"] !== undefined) return true;
  const length = req.headers["content-length"];
  return length !== undefined && length !== "0";
}

function parseContentType(header: string): { mediaType: string; charset?: string } {
  const [mediaType = "", ...parameters] = header.split(";");
  let charset: string | undefined;
  for (const parameter of parameters) {
    const [name = "", value = ""] = parameter.split("=");
    if (name.trim().toLowerCase() === "charset") {
      charset = value.trim().replace(/^"|"$/g, "").toLowerCase();
    }
  }
  return { mediaType: mediaType.trim().toLowerCase(), charset };
}

function rejectMediaType(rejectedPart: string, accepted: readonly string[]): never {
  throw unsupportedMediaType({
    message: `The request body's ${rejectedPart} is not supported.`,
    reason: `Send the body as one of ${accepted.join(", ")}, encoded in UTF-8 without compression.`,
  });
}

/**
 * Collects the body while counting bytes, independent of Content-Length. Past the limit it stops
 * listening and pauses the stream instead of destroying it, so the 413 response can still be
 * written on the socket.
 */
function readRawBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  if (req.readableEnded) throw new Error("the request body was already read");

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;

    const stop = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) {
        stop();
        req.pause();
        reject(requestBodyTooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, received));
    };
    const onError = (error: Error) => {
      stop();
      reject(badRequest({ message: "The request body could not be read.", cause: error }));
    };
    const onClose = () => {
      if (req.complete) return;
      onError(new Error("the client closed the connection before the body was complete"));
    };

    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

function decodeUtf8(bytes: Buffer): string {
  try {
    return UTF8.decode(bytes);
  } catch (error) {
    throw badRequest({ message: "The request body is not valid UTF-8.", cause: error });
  }
}

function shapeJson(value: unknown, root: "object" | "any"): unknown {
  if (root === "any") return value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badRequest({
      message: "The request body must be a JSON object.",
      reason: "Send the fields as members of one JSON object.",
    });
  }
  return expandDottedKeys(value as Record<string, unknown>);
}
