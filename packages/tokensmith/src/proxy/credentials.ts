import type { Credential } from '../core/credential.js';
import { TokenManager } from '../core/manager.js';
import { isRequestSigner, type Provider, type RequestSigner } from '../core/provider.js';
import { fixedCredentialHeaders } from './headers.js';

/** Headers issued for one upstream request, and which credential they came from. */
export interface IssuedHeaders {
  headers: Record<string, string>;
  /** The token behind the headers (absent for per-request signers); never printed. */
  readonly token?: string;
}

/** What the proxy needs from any credential source, whatever its kind. */
export interface CredentialSupply {
  /** Provider or signer family, for the health answer. */
  readonly kind: string;
  /** Headers for one request to `url`. */
  issue(method: string, url: string): Promise<IssuedHeaders>;
  /** The upstream answered 401 to `rejected`: make sure the next {@link issue} gives something newer. */
  renewAfter(
    rejected: IssuedHeaders,
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): Promise<void>;
  /** Expiry of the current credential for the health answer (`null` for signers or an unknown expiry). */
  expiry(): Promise<{ expiresAt: number | null } | null>;
}

/** Wrap a manager, provider or signer in the one interface the proxy uses. */
export function credentialSupply(source: TokenManager | Provider | RequestSigner): CredentialSupply {
  if (source instanceof TokenManager) return managerSupply(source);
  if (isRequestSigner(source)) return signerSupply(source);
  return managerSupply(new TokenManager(source));
}

function managerSupply(manager: TokenManager): CredentialSupply {
  // `getCredential()` answers from memory while the credential is fresh, always with the same object;
  // its `headers` getter builds a new record each time, so the issued headers (frozen, with their
  // header list worked out once) are kept per credential.
  let last: Credential | undefined;
  let lastIssued: IssuedHeaders | undefined;
  const toIssued = (credential: Credential): IssuedHeaders => {
    if (credential !== last || lastIssued === undefined) {
      lastIssued = { headers: fixedCredentialHeaders(credential.headers), token: credential.token };
      last = credential;
    }
    return lastIssued;
  };
  return {
    kind: manager.provider.kind,
    issue() {
      return manager.getCredential().then(toIssued);
    },
    async renewAfter(rejected) {
      // Many requests may fail with the same token at once: only the first renews, the rest see the new one.
      await manager.getCredential({ forceRefresh: true, rejectedToken: rejected.token });
    },
    async expiry() {
      const credential = await manager.getCredential();
      return { expiresAt: credential.expiresAt ?? null };
    },
  };
}

function signerSupply(signer: RequestSigner): CredentialSupply {
  return {
    kind: signer.kind,
    async issue(method, url) {
      return { headers: await signer.sign({ method, url }) };
    },
    async renewAfter(_rejected, status, headers) {
      if (!signer.onUnauthorized) return;
      // Signers look at the answer (e.g. its Date header for clock skew); give them a fetch Response.
      const h = new Headers();
      for (const [name, value] of Object.entries(headers)) {
        if (Array.isArray(value)) for (const v of value) h.append(name, v);
        else if (value !== undefined) h.set(name, value);
      }
      await signer.onUnauthorized(new Response(null, { status, headers: h }));
    },
    async expiry() {
      return null;
    },
  };
}
