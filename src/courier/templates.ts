import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { defaultTemplates, type TemplateSource } from "./default-templates.ts";
import { assertHeaderText } from "./header-safety.ts";
import { type CourierTemplateType, courierTemplateTypes } from "./message-request.ts";

/** Values a template can show; the code and link are present only on their template types. */
export interface TemplateValues {
  to: string;
  code?: string;
  link?: string;
  expiresAt: Date;
}

/** A rendered mail: subject, plain-text part and HTML part. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Raised when a template override cannot be read or uses an unknown placeholder. */
export class CourierTemplateError extends Error {
  override readonly name = "CourierTemplateError";
}

/** File names inside `<COURIER_TEMPLATES_DIR>/<template type>/`, as Kratos names them. */
export const templateFileNames = {
  subject: "email.subject.gotmpl",
  text: "email.body.plaintext.gotmpl",
  html: "email.body.gotmpl",
} as const;

const placeholderPattern = /\{\{\s*([^{}]*?)\s*\}\}/g;
const placeholders = new Set(["to", "code", "link", "expires_at"]);

const htmlEscapes: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** The mail templates of every template type, built-in or loaded from a directory. */
export class CourierTemplates {
  readonly #sources: Record<CourierTemplateType, TemplateSource>;

  constructor(sources: Record<CourierTemplateType, TemplateSource> = defaultTemplates) {
    for (const [template, source] of Object.entries(sources)) checkSource(template, source);
    this.#sources = sources;
  }

  subject(template: CourierTemplateType): string {
    return this.#sources[template].subject;
  }

  /**
   * Fills the placeholders `{{to}}`, `{{code}}`, `{{link}}` and `{{expires_at}}` in one pass, so
   * a value that contains `{{` is never expanded again. Values are HTML-escaped in the HTML part.
   */
  render(template: CourierTemplateType, values: TemplateValues): RenderedMail {
    const source = this.#sources[template];
    const byName: Record<string, string> = {
      to: values.to,
      code: values.code ?? "",
      link: values.link ?? "",
      expires_at: formatExpiry(values.expiresAt),
    };
    return {
      subject: source.subject,
      text: fill(source.text, (name) => byName[name] ?? ""),
      html: fill(source.html, (name) => escapeHtml(byName[name] ?? "")),
    };
  }
}

/**
 * Loads templates, taking each part from `<dir>/<template type>/<file>` when that file exists
 * and from the built-in template otherwise. Raises `CourierTemplateError` on a file that cannot
 * be read, a subject with a placeholder or control character, or an unknown placeholder.
 */
export async function loadCourierTemplates(dir?: string): Promise<CourierTemplates> {
  if (!dir) return new CourierTemplates();

  const sources = {} as Record<CourierTemplateType, TemplateSource>;
  for (const template of courierTemplateTypes) {
    const fallback = defaultTemplates[template];
    const read = (file: string) => readOptional(join(dir, template, file));
    const subject = (await read(templateFileNames.subject))?.trim();
    sources[template] = {
      subject: subject || fallback.subject,
      text: (await read(templateFileNames.text)) ?? fallback.text,
      html: (await read(templateFileNames.html)) ?? fallback.html,
    };
  }
  return new CourierTemplates(sources);
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw new CourierTemplateError(
      `cannot read courier template ${path}: ${(error as Error).message}`,
    );
  }
}

function checkSource(template: string, source: TemplateSource): void {
  if (source.subject.includes("{{")) {
    throw new CourierTemplateError(
      `the subject of ${template} contains a placeholder; subjects are stored in events, so they ` +
        "must be literal text",
    );
  }
  try {
    assertHeaderText(source.subject, "subject");
  } catch (error) {
    throw new CourierTemplateError(
      `the subject of ${template} is invalid: ${(error as Error).message}`,
    );
  }
  for (const part of ["text", "html"] as const) {
    for (const match of source[part].matchAll(placeholderPattern)) {
      if (!placeholders.has(match[1]!)) {
        throw new CourierTemplateError(
          `the ${part} part of ${template} uses the unknown placeholder "${match[1]}"; use one of ` +
            [...placeholders].map((name) => `{{${name}}}`).join(", "),
        );
      }
    }
  }
}

function fill(source: string, lookup: (name: string) => string): string {
  return source.replace(placeholderPattern, (_, name: string) => lookup(name));
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => htmlEscapes[character]!);
}

/** Formats an expiry as `2025-03-01 12:15 UTC`, readable in any locale. */
function formatExpiry(expiresAt: Date): string {
  return `${expiresAt.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
