import type { CourierTemplateType } from "./message-request.ts";

/** The three parts of a mail template, before placeholders are filled. */
export interface TemplateSource {
  /** Literal subject; it never contains placeholders, because it is stored in events. */
  subject: string;
  text: string;
  html: string;
}

const ignoreNotice = "If you did not request this email, you can ignore it.";

function htmlPage(paragraphs: string[]): string {
  const body = paragraphs.map((paragraph) => `    <p>${paragraph}</p>`).join("\n");
  return `<!doctype html>
<html>
  <body>
${body}
  </body>
</html>
`;
}

/** Built-in templates, used for every part that `COURIER_TEMPLATES_DIR` does not override. */
export const defaultTemplates: Record<CourierTemplateType, TemplateSource> = {
  verification_code_valid: {
    subject: "Your verification code",
    text: `Hello,

Use code {{code}} to verify your email address. The code is valid until {{expires_at}}.

${ignoreNotice}
`,
    html: htmlPage([
      "Hello,",
      "Use code <strong>{{code}}</strong> to verify your email address.",
      "The code is valid until {{expires_at}}.",
      ignoreNotice,
    ]),
  },
  verification_valid: {
    subject: "Verify your email address",
    text: `Hello,

Open this link to verify your email address:

{{link}}

The link is valid until {{expires_at}}.

${ignoreNotice}
`,
    html: htmlPage([
      "Hello,",
      'Open <a href="{{link}}">this link</a> to verify your email address.',
      "The link is valid until {{expires_at}}.",
      ignoreNotice,
    ]),
  },
  recovery_code_valid: {
    subject: "Your recovery code",
    text: `Hello,

Use code {{code}} to recover access to your account. The code is valid until {{expires_at}}.

${ignoreNotice} Nobody can use the code without access to this mailbox.
`,
    html: htmlPage([
      "Hello,",
      "Use code <strong>{{code}}</strong> to recover access to your account.",
      "The code is valid until {{expires_at}}.",
      `${ignoreNotice} Nobody can use the code without access to this mailbox.`,
    ]),
  },
  recovery_valid: {
    subject: "Recover access to your account",
    text: `Hello,

Open this link to recover access to your account:

{{link}}

The link is valid until {{expires_at}}.

${ignoreNotice}
`,
    html: htmlPage([
      "Hello,",
      'Open <a href="{{link}}">this link</a> to recover access to your account.',
      "The link is valid until {{expires_at}}.",
      ignoreNotice,
    ]),
  },
};

/** Subject of each template type as built in; the read model shows it until a worker starts. */
export function defaultSubject(template: CourierTemplateType): string {
  return defaultTemplates[template].subject;
}
