/**
 * Kratos's `continueWith` items, which tell a client what to do after a flow step. The SDKs
 * discriminate them by `action`.
 */
export type ContinueWith =
  | { action: "redirect_browser_to"; redirect_browser_to: string }
  | { action: "set_ory_session_token"; ory_session_token: string }
  | { action: "show_settings_ui"; flow: { id: string; url?: string } }
  | { action: "show_recovery_ui"; flow: { id: string; url?: string } }
  | {
      action: "show_verification_ui";
      flow: { id: string; url?: string; verifiable_address: string };
    };

export function redirectBrowserTo(url: string): ContinueWith {
  return { action: "redirect_browser_to", redirect_browser_to: url };
}

/** Builds the item that hands a native client its session token. Only API flows send it. */
export function setOrySessionToken(token: string): ContinueWith {
  return { action: "set_ory_session_token", ory_session_token: token };
}

export function showSettingsUi(flow: { id: string; url?: string }): ContinueWith {
  return { action: "show_settings_ui", flow: withUrl(flow) };
}

export function showRecoveryUi(flow: { id: string; url?: string }): ContinueWith {
  return { action: "show_recovery_ui", flow: withUrl(flow) };
}

export function showVerificationUi(flow: {
  id: string;
  url?: string;
  verifiableAddress: string;
}): ContinueWith {
  return {
    action: "show_verification_ui",
    flow: { ...withUrl(flow), verifiable_address: flow.verifiableAddress },
  };
}

function withUrl(flow: { id: string; url?: string }): { id: string; url?: string } {
  return flow.url === undefined ? { id: flow.id } : { id: flow.id, url: flow.url };
}
