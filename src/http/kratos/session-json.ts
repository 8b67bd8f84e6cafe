import {
  type CredentialType,
  type IdentityJson,
  type IdentityView,
  identityToJson,
} from "./identity-json.ts";

export type AuthenticatorAssuranceLevel = "aal0" | "aal1" | "aal2" | "aal3";

/** One completed authentication step of a session, in the order the steps happened. */
export interface AuthenticationMethodView {
  method: CredentialType;
  aal: AuthenticatorAssuranceLevel;
  completedAt: Date;
  /** OIDC or SAML provider id. */
  provider?: string;
  organization?: string;
  upstreamAcr?: string;
  upstreamAmr?: string[];
}

export interface SessionDeviceView {
  id: string;
  ipAddress?: string;
  userAgent?: string;
  location?: string;
}

/** A session as the sessions read model stores it. The token is never part of it. */
export interface SessionView {
  id: string;
  active: boolean;
  expiresAt: Date;
  authenticatedAt: Date;
  issuedAt: Date;
  authenticatorAssuranceLevel: AuthenticatorAssuranceLevel;
  authenticationMethods: AuthenticationMethodView[];
  /** Left out of the JSON when absent, as for admin listings without `expand=identity`. */
  identity?: IdentityView;
  devices: SessionDeviceView[];
  /** The JWT from `?tokenize_as=`, when the caller requested one. */
  tokenized?: string;
}

export interface AuthenticationMethodJson {
  method: CredentialType;
  aal: AuthenticatorAssuranceLevel;
  completed_at: string;
  provider?: string;
  organization?: string;
  upstream_acr?: string;
  upstream_amr?: string[];
}

export interface SessionDeviceJson {
  id: string;
  ip_address?: string;
  user_agent?: string;
  location?: string;
}

/** Kratos's `session` object. */
export interface SessionJson {
  id: string;
  active: boolean;
  expires_at: string;
  authenticated_at: string;
  authenticator_assurance_level: AuthenticatorAssuranceLevel;
  authentication_methods: AuthenticationMethodJson[];
  issued_at: string;
  identity?: IdentityJson;
  devices: SessionDeviceJson[];
  tokenized?: string;
}

export interface SessionJsonOptions {
  publicBaseUrl: string;
  /**
   * Audience of the embedded identity. Whoami and other self-service responses use `public`,
   * which leaves out credentials and admin metadata.
   */
  identityAudience?: "public" | "admin";
}

/** Renders a session in Kratos's JSON shape. */
export function sessionToJson(session: SessionView, options: SessionJsonOptions): SessionJson {
  const json: SessionJson = {
    id: session.id,
    active: session.active,
    expires_at: session.expiresAt.toISOString(),
    authenticated_at: session.authenticatedAt.toISOString(),
    authenticator_assurance_level: session.authenticatorAssuranceLevel,
    authentication_methods: session.authenticationMethods.map(authenticationMethodToJson),
    issued_at: session.issuedAt.toISOString(),
    devices: session.devices.map(deviceToJson),
  };
  if (session.identity !== undefined) {
    json.identity = identityToJson(session.identity, {
      publicBaseUrl: options.publicBaseUrl,
      audience: options.identityAudience ?? "public",
    });
  }
  if (session.tokenized !== undefined) json.tokenized = session.tokenized;
  return json;
}

function authenticationMethodToJson(method: AuthenticationMethodView): AuthenticationMethodJson {
  const json: AuthenticationMethodJson = {
    method: method.method,
    aal: method.aal,
    completed_at: method.completedAt.toISOString(),
  };
  if (method.provider !== undefined) json.provider = method.provider;
  if (method.organization !== undefined) json.organization = method.organization;
  if (method.upstreamAcr !== undefined) json.upstream_acr = method.upstreamAcr;
  if (method.upstreamAmr !== undefined) json.upstream_amr = method.upstreamAmr;
  return json;
}

function deviceToJson(device: SessionDeviceView): SessionDeviceJson {
  const json: SessionDeviceJson = { id: device.id };
  if (device.ipAddress !== undefined) json.ip_address = device.ipAddress;
  if (device.userAgent !== undefined) json.user_agent = device.userAgent;
  if (device.location !== undefined) json.location = device.location;
  return json;
}
