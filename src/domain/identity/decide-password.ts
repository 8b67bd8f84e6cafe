import type { ChangePassword } from "./commands.ts";
import { accept, type Decision } from "./decision.ts";
import { isDomainError } from "./errors.ts";
import { checkPasswordHash, requireExisting, requirePasswordHash } from "./guards.ts";
import { activeSessions, revokeSessions } from "./session-revocation.ts";
import type { IdentityStreamState } from "./state.ts";

/**
 * Decides a password change with a hash the command layer made after checking the policy.
 * When asked, it also revokes every other active session with reason `password_changed`.
 */
export function decideChangePassword(
  command: ChangePassword,
  state: IdentityStreamState,
): Decision {
  const existing = requireExisting(state, command.identityId);
  if (isDomainError(existing)) {
    return existing;
  }
  const hashProblem = checkPasswordHash(command.hashedPassword, "password");
  if (hashProblem) {
    return hashProblem;
  }
  const changed = requirePasswordHash(existing, command.replacesHash);
  if (changed) {
    return changed;
  }

  const keep = command.revokeOtherSessions?.exceptSessionId;
  const others = command.revokeOtherSessions
    ? activeSessions(existing, command.now).filter((session) => session.id !== keep)
    : [];
  return accept(
    {
      type: "PasswordChanged",
      data: {
        identityId: command.identityId,
        hashedPassword: command.hashedPassword,
        changedAt: command.now,
      },
    },
    ...revokeSessions(existing, others, "password_changed", command.now),
  );
}
