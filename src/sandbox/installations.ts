/**
 * Installation tokens: each is bound to a (tenant, app) pair and carries its granted scopes.
 * Several tokens may serve one installation (rotation), which is why idempotency keys and rate
 * limits are keyed by the installation, not by the token.
 */
import { isScope, type Scope } from "../platform/scopes.js";
import type { Installation } from "./handlers.js";

export const DEFAULT_MODULE = "okta-partners-sandbox";

export interface InstallationInput {
  token: string;
  scopes: readonly Scope[];
  tenantId: number;
  /** The app's module name, as whoami reports it. */
  module?: string;
}

const TOKEN = /^[\x21-\x7e]{8,512}$/;
const BEARER = /^Bearer +(\S+) *$/i;

export class Installations {
  private readonly byToken = new Map<string, Installation>();

  add(input: InstallationInput): Installation {
    if (!TOKEN.test(input.token))
      throw new Error("An installation token is 8 to 512 visible ASCII characters");
    if (this.byToken.has(input.token)) throw new Error("That token is already installed");
    if (!Number.isSafeInteger(input.tenantId) || input.tenantId <= 0) {
      throw new Error(`tenantId must be a positive integer, got ${input.tenantId}`);
    }
    const module = input.module ?? DEFAULT_MODULE;
    const installation: Installation = {
      token: input.token,
      scopes: checkedScopes(input.scopes),
      tenantId: input.tenantId,
      module,
      key: `${input.tenantId}:${module}`,
    };
    this.byToken.set(input.token, installation);
    return installation;
  }

  setScopes(token: string, scopes: readonly Scope[]): void {
    const installation = this.byToken.get(token);
    if (!installation) throw new Error("Unknown token");
    installation.scopes = checkedScopes(scopes);
  }

  /** The token stops working at once; returns whether it was known. */
  revoke(token: string): boolean {
    return this.byToken.delete(token);
  }

  authenticate(authorization: string | undefined): Installation | undefined {
    const token = BEARER.exec(authorization ?? "")?.[1];
    return token === undefined ? undefined : this.byToken.get(token);
  }
}

function checkedScopes(scopes: readonly string[]): Scope[] {
  const unknown = scopes.filter((s) => !isScope(s));
  if (unknown.length > 0) throw new Error(`Unknown scope(s): ${unknown.join(", ")}`);
  return [...new Set(scopes)] as Scope[];
}
