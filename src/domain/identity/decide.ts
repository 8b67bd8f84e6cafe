import type { IdentityCommand } from "./commands.ts";
import { decideMarkAddressVerified } from "./decide-address.ts";
import { decideCreateIdentity, decideRegisterIdentity } from "./decide-creation.ts";
import {
  decideActivateIdentity,
  decideDeactivateIdentity,
  decideDeleteIdentity,
  decideEraseIdentity,
} from "./decide-lifecycle.ts";
import {
  decideRequestRecoveryMessage,
  decideRequestVerificationMessage,
} from "./decide-message.ts";
import { decideChangePassword } from "./decide-password.ts";
import { decideReplaceIdentity, decideSetMetadata, decideUpdateTraits } from "./decide-profile.ts";
import {
  decideIssueSession,
  decideRefreshSession,
  decideRevokeAllSessions,
  decideRevokeOtherSessions,
  decideRevokeSession,
  decideRevokeSessions,
} from "./decide-session.ts";
import type { Decision } from "./decision.ts";
import type { IdentityStreamState } from "./state.ts";

/** Decides any identity command against the stream's current state. */
export function decideIdentityCommand(
  command: IdentityCommand,
  state: IdentityStreamState,
): Decision {
  switch (command.type) {
    case "RegisterIdentity":
      return decideRegisterIdentity(command, state);
    case "CreateIdentity":
      return decideCreateIdentity(command, state);
    case "UpdateTraits":
      return decideUpdateTraits(command, state);
    case "SetMetadata":
      return decideSetMetadata(command, state);
    case "ReplaceIdentity":
      return decideReplaceIdentity(command, state);
    case "ChangePassword":
      return decideChangePassword(command, state);
    case "DeactivateIdentity":
      return decideDeactivateIdentity(command, state);
    case "ActivateIdentity":
      return decideActivateIdentity(command, state);
    case "EraseIdentity":
      return decideEraseIdentity(command, state);
    case "DeleteIdentity":
      return decideDeleteIdentity(command, state);
    case "IssueSession":
      return decideIssueSession(command, state);
    case "RefreshSession":
      return decideRefreshSession(command, state);
    case "RevokeSession":
      return decideRevokeSession(command, state);
    case "RevokeSessions":
      return decideRevokeSessions(command, state);
    case "RevokeOtherSessions":
      return decideRevokeOtherSessions(command, state);
    case "RevokeAllSessions":
      return decideRevokeAllSessions(command, state);
    case "MarkAddressVerified":
      return decideMarkAddressVerified(command, state);
    case "RequestVerificationMessage":
      return decideRequestVerificationMessage(command, state);
    case "RequestRecoveryMessage":
      return decideRequestRecoveryMessage(command, state);
  }
}
