import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultTemplates } from "../../src/courier/default-templates.ts";
import {
  CourierTemplateError,
  CourierTemplates,
  loadCourierTemplates,
} from "../../src/courier/templates.ts";

const expiresAt = new Date("2025-03-01T12:15:30.000Z");

describe("built-in templates", () => {
  const templates = new CourierTemplates();

  it("puts the code in text and HTML", () => {
    const mail = templates.render("recovery_code_valid", {
      to: "ada@example.com",
      code: "048213",
      expiresAt,
    });

    expect(mail.subject).toBe("Your recovery code");
    expect(mail.text).toContain("Use code 048213 to recover access to your account.");
    expect(mail.text).toContain("valid until 2025-03-01 12:15 UTC");
    expect(mail.html).toContain("<strong>048213</strong>");
  });

  it("escapes values in HTML only", () => {
    const link = 'https://id.example.com/v?a=1&b="><script>alert(1)</script>';
    const mail = templates.render("verification_valid", { to: "a@example.com", link, expiresAt });

    expect(mail.text).toContain(link);
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).toContain(
      'href="https://id.example.com/v?a=1&amp;b=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"',
    );
  });

  it("fills placeholders in one pass", () => {
    const mail = templates.render("verification_valid", {
      to: "a@example.com",
      link: "https://id.example.com/{{code}}",
      expiresAt,
    });

    expect(mail.text).toContain("https://id.example.com/{{code}}");
  });

  it("has every part for every type", () => {
    for (const source of Object.values(defaultTemplates)) {
      expect(source.subject.length).toBeGreaterThan(0);
      expect(source.text).toMatch(/\{\{(code|link)\}\}/);
      expect(source.html).toMatch(/\{\{(code|link)\}\}/);
    }
  });
});

describe("template overrides", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "rg-templates-"));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeTemplate(root: string, type: string, file: string, content: string) {
    await mkdir(join(root, type), { recursive: true });
    await writeFile(join(root, type, file), content);
  }

  it("replaces only the parts present", async () => {
    const root = join(dir, "partial");
    await writeTemplate(root, "verification_code_valid", "email.subject.gotmpl", "Confirm it\n");
    await writeTemplate(
      root,
      "verification_code_valid",
      "email.body.plaintext.gotmpl",
      "Code for {{ to }}: {{ code }}",
    );
    const templates = await loadCourierTemplates(root);

    const mail = templates.render("verification_code_valid", {
      to: "ada@example.com",
      code: "123456",
      expiresAt,
    });
    expect(mail.subject).toBe("Confirm it");
    expect(mail.text).toBe("Code for ada@example.com: 123456");
    expect(mail.html).toContain("<strong>123456</strong>");
    expect(templates.subject("recovery_valid")).toBe("Recover access to your account");
  });

  it("rejects an unknown placeholder", async () => {
    const root = join(dir, "unknown");
    await writeTemplate(root, "recovery_valid", "email.body.gotmpl", "{{ .RecoveryURL }}");

    const loading = loadCourierTemplates(root);
    await expect(loading).rejects.toBeInstanceOf(CourierTemplateError);
    await expect(loading).rejects.toThrow('unknown placeholder ".RecoveryURL"');
  });

  it("rejects a placeholder in a subject", async () => {
    const root = join(dir, "subject");
    await writeTemplate(root, "recovery_valid", "email.subject.gotmpl", "Code {{code}}");

    await expect(loadCourierTemplates(root)).rejects.toThrow("contains a placeholder");
  });

  it("rejects a subject with a line break", async () => {
    const root = join(dir, "multiline");
    await writeTemplate(root, "recovery_valid", "email.subject.gotmpl", "Hi\nBcc: x@evil.test");

    await expect(loadCourierTemplates(root)).rejects.toThrow("control character");
  });
});
