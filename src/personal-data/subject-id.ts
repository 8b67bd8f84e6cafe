import { PersonalDataError } from "./errors.ts";

// No dots: the subject id is one dot-separated part of a field token.
const subjectIdPattern = /^[A-Za-z0-9_:-]{1,200}$/;

/** Raises `invalid_subject_id` unless the id is 1–200 letters, digits, `_`, `:` or `-`. */
export function checkSubjectId(subjectId: string): void {
  if (!subjectIdPattern.test(subjectId)) {
    throw new PersonalDataError(
      "invalid_subject_id",
      `invalid subject id ${JSON.stringify(subjectId.slice(0, 200))}: use 1 to 200 letters, ` +
        "digits, '_', ':' or '-'",
    );
  }
}
