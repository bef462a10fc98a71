/**
 * The one renew-and-replay rule, shared by `authFetch`, `kalturaFetch` and the proxy: when the server
 * refuses the credential a request carried, renew it once (always, so later requests carry a good
 * one), and send the request once more only when its body can be sent again. Never more than that.
 *
 * "Renew" goes through {@link CredentialSupply.renewAfter}, which for a manager is
 * `getCredential({ forceRefresh, rejectedToken })`: N requests refused with the same token cause one
 * renewal, however their answers interleave.
 * @module
 */
import { DPoPKey, dpopNonceChallenge } from './dpop.js';
import { getLogger } from './log.js';
import { TokenManager } from './manager.js';
import { isRequestSigner, type Provider, type RequestSigner } from './provider.js';
import { credentialFor, expiryOf, headersOf, type TokenType } from './token-type.js';

const log = getLogger('renewal');

/** Headers issued for one request, and which credential they came from. */
export interface IssuedHeaders {
  headers: Readonly<Record<string, string>>;
  /** The token behind the headers (absent for per-request signers); never printed. */
  readonly token?: string;
  /** DPoP: the key that signed this request's proof and the URL it was for (to keep a nonce). */
  readonly dpop?: { key: DPoPKey; url: string };
}

/** What every credential-adding client needs from a source, whatever its kind. */
export interface CredentialSupply {
  /** Provider or signer family, for logs and health answers. */
  readonly kind: string;
  /** Headers for one request to `url`. */
  issue(method: string, url: string): Promise<IssuedHeaders>;
  /** The server refused `rejected` with `answer`: make sure the next {@link issue} gives something newer. */
  renewAfter(rejected: IssuedHeaders, answer: Response): Promise<void>;
  /** Expiry of the current credential (`null` for signers or an unknown expiry). */
  expiry(): Promise<{ expiresAt: number | null } | null>;
}

/** Options of {@link credentialSupply}. */
export interface CredentialSupplyOptions {
  /**
   * Turn a credential's headers into what is issued, once per credential (the proxy freezes them and
   * works out their header list once). Default: as they are.
   */
  prepare?: (headers: Record<string, string>) => Readonly<Record<string, string>>;
  /** Which token the headers carry (default `access`; see core/token-type.ts). */
  tokenType?: TokenType;
}

/** Wrap a manager, provider or signer in the one interface every credential-adding client uses. */
export function credentialSupply(
  source: TokenManager | Provider | RequestSigner,
  options: CredentialSupplyOptions = {},
): CredentialSupply {
  if (source instanceof TokenManager) return managerSupply(source, options);
  if (isRequestSigner(source)) return signerSupply(source);
  return managerSupply(new TokenManager(source), options);
}

function managerSupply(manager: TokenManager, options: CredentialSupplyOptions): CredentialSupply {
  const prepare = options.prepare ?? ((headers: Record<string, string>) => headers);
  const type = options.tokenType ?? 'access';
  // `getCredential()` answers from memory while the credential is fresh, always with the same object;
  // its `headers` getter builds a new record each time, so the issued headers are kept per credential.
  let last: unknown;
  let lastIssued: IssuedHeaders | undefined;
  // DPoP: the key of the current credential, imported once (it also keeps each origin's nonce).
  let dpopKey: { d: string; key: Promise<DPoPKey> } | undefined;
  return {
    kind: manager.provider.kind,
    async issue(method, url) {
      const credential = await credentialFor(manager, type);
      if (credential !== last || lastIssued === undefined) {
        // `token` is the access token even for an ID token: it names the credential to the manager.
        lastIssued = { headers: prepare(headersOf(credential, type)), token: credential.token };
        last = credential;
      }
      const jwk = type === 'access' && credential.tokenType === 'DPoP' ? credential.dpopKey : undefined;
      if (!jwk) return lastIssued;
      // A DPoP-bound token: a fresh proof for this method and URL (RFC 9449 §7.1), every time.
      if (dpopKey?.d !== jwk.d) dpopKey = { d: jwk.d, key: DPoPKey.fromJwk(jwk) };
      const key = await dpopKey.key;
      const proof = await key.proof({ method, url, accessToken: credential.token });
      return { headers: { ...lastIssued.headers, dpop: proof }, token: credential.token, dpop: { key, url } };
    },
    async renewAfter(rejected, answer) {
      // A resource server's `use_dpop_nonce`: the token is fine; the next proof carries the nonce.
      const nonce = rejected.dpop && dpopNonceChallenge(answer);
      if (rejected.dpop && nonce) {
        rejected.dpop.key.rememberNonce(rejected.dpop.url, nonce);
        return;
      }
      // Renews only if no other request renewed since `rejected` was issued.
      await manager.getCredential({ forceRefresh: true, rejectedToken: rejected.token ?? '' });
    },
    async expiry() {
      const credential = await credentialFor(manager, type);
      return { expiresAt: expiryOf(credential, type) ?? null };
    },
  };
}

function signerSupply(signer: RequestSigner): CredentialSupply {
  return {
    kind: signer.kind,
    async issue(method, url) {
      return { headers: await signer.sign({ method, url }) };
    },
    async renewAfter(_rejected, answer) {
      // A signer looks at the answer itself (e.g. a 401 means a new salt, its Date header the clock skew).
      await signer.onUnauthorized?.(answer);
    },
    async expiry() {
      return null;
    },
  };
}

/** One request under the renewal rule (see {@link sendWithRenewal}). */
export interface RenewableExchange {
  /**
   * Send the request once, with headers from `issue` (called again for each redirect hop, so a
   * signer signs every hop); give back the answer and the headers of the hop that got it.
   */
  send(issue: CredentialSupply['issue']): Promise<{ response: Response; issued: IssuedHeaders }>;
  /** True when the answer refuses the credential (a 401; Kaltura's `INVALID_KS`). */
  refused(response: Response): boolean | Promise<boolean>;
  /** The body can be sent a second time (none, or held in memory). */
  replayable: boolean;
  /** `METHOD URL` without the query, for the debug line. */
  label: string;
}

/**
 * Send a request with credentials from `supply`; when the answer refuses them, renew once and, if
 * the body can be sent again, replay once with the renewed credential. A refused answer to a body
 * that cannot be replayed is returned as it is, after the renewal, so the caller's own retry works.
 */
export async function sendWithRenewal(
  supply: CredentialSupply,
  exchange: RenewableExchange,
): Promise<Response> {
  const issue: CredentialSupply['issue'] = (method, url) => supply.issue(method, url);
  const first = await exchange.send(issue);
  keepDPoPNonce(first);
  if (!(await exchange.refused(first.response))) return first.response;
  log.debug(`credential refused; renewing once${exchange.replayable ? ' and replaying once' : ''}`, {
    request: exchange.label,
  });
  await supply.renewAfter(first.issued, first.response);
  if (!exchange.replayable) return first.response;
  await first.response.body?.cancel().catch(() => {});
  const second = await exchange.send(issue);
  keepDPoPNonce(second);
  return second.response;
}

/** A DPoP server may hand out its next nonce with any answer (RFC 9449 §8.2): keep it for the next proof. */
function keepDPoPNonce({ response, issued }: { response: Response; issued: IssuedHeaders }): void {
  if (!issued.dpop || response.status === 401) return; // a 401's nonce is taken by renewAfter
  const nonce = response.headers.get('dpop-nonce');
  if (nonce) issued.dpop.key.rememberNonce(issued.dpop.url, nonce);
}
