import type { ChallengeMethod } from "../../../flows/codes.ts";
import { flowActionUrl } from "../../kratos/flows.ts";
import {
  addressVerified,
  emailLabel,
  invalidRecoveryCode,
  invalidRecoveryToken,
  invalidVerificationCode,
  invalidVerificationToken,
  recoveryCodeSent,
  recoveryFlowExpired,
  recoveryLinkSent,
  submitLabel,
  type UiText,
  validationFailed,
  verificationCodeSent,
  verificationFlowExpired,
  verificationLinkSent,
} from "../../kratos/messages.ts";
import { inputNode, type UiContainer, type UiNode, uiContainer } from "../../kratos/ui.ts";
import {
  codeAddressNodes,
  codeEntryNodes,
  csrfTokenNode,
  verificationContinueNode,
} from "../../kratos/ui-nodes.ts";

/** The two flows that send a code or link to an address. */
export type ChallengeFlowKind = "recovery" | "verification";

/** Kratos's messages of one challenge flow kind. */
export interface ChallengeTexts {
  codeSent: () => UiText;
  linkSent: () => UiText;
  invalidCode: () => UiText;
  invalidToken: () => UiText;
  flowExpired: (expiredAt: Date, now: Date) => UiText;
}

export const challengeTexts: Record<ChallengeFlowKind, ChallengeTexts> = {
  recovery: {
    codeSent: recoveryCodeSent,
    linkSent: recoveryLinkSent,
    invalidCode: invalidRecoveryCode,
    invalidToken: invalidRecoveryToken,
    flowExpired: recoveryFlowExpired,
  },
  verification: {
    codeSent: verificationCodeSent,
    linkSent: verificationLinkSent,
    invalidCode: invalidVerificationCode,
    invalidToken: invalidVerificationToken,
    flowExpired: verificationFlowExpired,
  },
};

/** Kratos's reason when a flow has used up its code submissions. */
export const tooManySubmissionsReason =
  "The request was submitted too often. Please request another code.";

/** Builds message 4000001 for a flow that has used up its code submissions. */
export function tooManySubmissions(): UiText {
  return validationFailed(tooManySubmissionsReason);
}

function actionOf(publicUrl: string, kind: ChallengeFlowKind, flowId: string): string {
  return flowActionUrl(publicUrl, kind, flowId);
}

/** Builds the first form of a flow: the address to send a code to. */
export function chooseMethodUi(
  publicUrl: string,
  kind: ChallengeFlowKind,
  flowId: string,
  messages: UiText[] = [],
): UiContainer {
  return uiContainer({
    action: actionOf(publicUrl, kind, flowId),
    nodes: [csrfTokenNode("api", ""), ...codeAddressNodes()],
    messages,
  });
}

/** Builds the form shown once a code or link was sent to `email`. */
export function sentUi(
  publicUrl: string,
  kind: ChallengeFlowKind,
  flowId: string,
  method: ChallengeMethod,
  email: string,
): UiContainer {
  const texts = challengeTexts[kind];
  const nodes = method === "code" ? codeEntryNodes(kind, email) : linkAddressNodes(email);
  return uiContainer({
    action: actionOf(publicUrl, kind, flowId),
    nodes: [csrfTokenNode("api", ""), ...nodes],
    messages: [method === "code" ? texts.codeSent() : texts.linkSent()],
  });
}

/** Builds the form of a verification flow whose address is verified. */
export function verifiedUi(publicUrl: string, flowId: string, continueUrl: string): UiContainer {
  return uiContainer({
    action: actionOf(publicUrl, "verification", flowId),
    nodes: [csrfTokenNode("api", ""), verificationContinueNode(continueUrl)],
    messages: [addressVerified()],
  });
}

/** Builds the form of a recovery flow that was passed; the settings flow continues it. */
export function recoveredUi(publicUrl: string, flowId: string): UiContainer {
  return uiContainer({
    action: actionOf(publicUrl, "recovery", flowId),
    nodes: [csrfTokenNode("api", "")],
  });
}

/** Returns the form with its own messages replaced by `messages`. */
export function withMessages(ui: UiContainer, messages: UiText[]): UiContainer {
  return uiContainer({ ...ui, messages });
}

function linkAddressNodes(email: string): UiNode[] {
  return [
    inputNode(
      "link",
      { name: "email", type: "email", value: email, required: true, autocomplete: "email" },
      emailLabel(),
    ),
    inputNode("link", { name: "method", type: "submit", value: "link" }, submitLabel()),
  ];
}
