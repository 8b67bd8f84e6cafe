/** Decodes the text and HTML parts of a `multipart/alternative` mail as nodemailer builds it. */
export function mailParts(raw: string): { text: string; html: string } {
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(raw)?.[1];
  if (!boundary) throw new Error("the mail is not multipart");

  const parts = raw.split(`--${boundary}`).slice(1, -1);
  const result = { text: "", html: "" };
  for (const part of parts) {
    const split = part.search(/\r?\n\r?\n/);
    const headers = part.slice(0, split).toLowerCase();
    const body = part
      .slice(split)
      .replace(/^\r?\n\r?\n/, "")
      .replace(/\r?\n$/, "");
    const decoded = decodeBody(body, /content-transfer-encoding:\s*([\w-]+)/.exec(headers)?.[1]);
    if (headers.includes("text/plain")) result.text = decoded;
    if (headers.includes("text/html")) result.html = decoded;
  }
  return result;
}

function decodeBody(body: string, encoding: string | undefined): string {
  if (encoding === "base64") return Buffer.from(body, "base64").toString("utf8");
  if (encoding !== "quoted-printable") return body;
  const bytes = body
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}
