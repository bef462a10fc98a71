import * as oauth from 'oauth4webapi';
import type { Credential } from '../../core/credential.js';
import { TokensmithError } from '../../core/errors.js';
import type { AcquireContext } from '../../core/provider.js';
import { registerSecret } from '../../core/redact.js';
import { OAuth2Provider } from '../base-provider.js';
import { defaultLandingPage, type LandingPage } from '../landing-page.js';
import { type LoopbackServerOptions, startLoopbackServer } from '../loopback-server.js';
import { toTokensmithError } from '../oauth-error.js';
import { openBrowserOrPrint } from '../open-browser.js';
import {
  checkAuthorizationParams,
  commonTokenParams,
  type OAuth2CommonOptions,
  scopeString,
} from '../options.js';

/** Options of {@link authorizationCode}. */
export interface AuthorizationCodeOptions extends OAuth2CommonOptions {
  /** Loopback interface for the redirect (default 127.0.0.1). */
  redirectHost?: LoopbackServerOptions['host'];
  /** Fixed redirect port, for servers that register one (default: any free port). */
  redirectPort?: number;
  /** Redirect path (default `/callback`). */
  redirectPath?: string;
  /**
   * Shows the authorization URL to the user. Default: open the browser, or print the URL when no
   * browser can be opened (SSH, CI, no display). Tests pass a function that drives a browser.
   */
  openBrowser?: (url: string) => void | Promise<void>;
  /**
   * Page the browser shows after the redirect (default: a simple success or error page). On success
   * it is given the new credential too, to build the page from (never show the token itself).
   */
  landingPage?: LandingPage;
  /** Give up after this many ms without a redirect (default 5 minutes). */
  loginTimeoutMs?: number;
  /** Extra authorization request parameters (`prompt`, `login_hint`, `acr_values`, ...). */
  authorizationParams?: Record<string, string>;
}

/**
 * Authorization code grant with PKCE S256 (RFC 6749 §4.1, RFC 7636) and a one-shot loopback
 * redirect server (RFC 8252). A redirect without the right `state` is shown an error page and
 * ignored (the login waits on for the real one); with `openid` in scope, the ID token nonce is checked.
 */
export class AuthorizationCodeProvider extends OAuth2Provider {
  readonly grant = 'authorization_code';
  readonly interactive = true;
  readonly #options: AuthorizationCodeOptions;

  constructor(options: AuthorizationCodeOptions) {
    super(options);
    checkAuthorizationParams(options.authorizationParams);
    this.#options = options;
  }

  async acquire(ctx: AcquireContext): Promise<Credential> {
    const as = await this.client.server();
    if (!as.authorization_endpoint) {
      throw new TokensmithError('ERR_UNSUPPORTED', 'the server has no authorization_endpoint', {
        field: 'authorization_endpoint',
      });
    }
    const o = this.#options;
    const verifier = oauth.generateRandomCodeVerifier();
    registerSecret(verifier, 'transient');
    const challenge = await oauth.calculatePKCECodeChallenge(verifier);
    const state = oauth.generateRandomState();
    const scope = scopeString(o.scope);
    const nonce = scope?.split(' ').includes('openid') ? oauth.generateRandomNonce() : undefined;

    // The server tells the page only { ok, subject }; the page also gets the credential this login
    // obtained (set before the page is asked for, never for a failure or a foreign redirect).
    let obtained: Credential | undefined;
    const page = o.landingPage ?? defaultLandingPage;
    const server = await startLoopbackServer({
      host: o.redirectHost,
      port: o.redirectPort,
      path: o.redirectPath,
      timeoutMs: o.loginTimeoutMs,
      // Redirects without it are answered with an error page and ignored: the login goes on.
      state,
      landingPage: (outcome) => page(outcome.ok && obtained ? { ...outcome, credential: obtained } : outcome),
    });
    const url = new URL(as.authorization_endpoint);
    const params = commonTokenParams(o);
    params.set('client_id', o.clientId);
    params.set('redirect_uri', server.redirectUri);
    params.set('response_type', 'code');
    params.set('state', state);
    params.set('code_challenge', challenge);
    params.set('code_challenge_method', 'S256');
    if (nonce) params.set('nonce', nonce);
    for (const [k, v] of Object.entries(o.authorizationParams ?? {})) params.set(k, v);
    for (const [k, v] of params) url.searchParams.append(k, v);

    const abort = () => void server.close();
    ctx.signal?.addEventListener('abort', abort, { once: true });
    try {
      const done = server.handleCallback(async (callback) => {
        let validated: URLSearchParams;
        try {
          validated = oauth.validateAuthResponse(as, this.client.client, callback, state);
        } catch (err) {
          throw toTokensmithError(err, 'authorization endpoint');
        }
        const code = validated.get('code');
        if (code) registerSecret(code, 'transient');
        const { tokens, timing } = await this.client.exchange(
          (as2, auth, opts) =>
            oauth.authorizationCodeGrantRequest(
              as2,
              this.client.client,
              auth,
              validated,
              server.redirectUri,
              verifier,
              opts,
            ),
          (as2, response) =>
            oauth.processAuthorizationCodeResponse(as2, this.client.client, response, {
              expectedNonce: nonce,
              requireIdToken: !!nonce,
            }),
          ctx.signal,
        );
        const credential = this.client.toCredential(tokens, timing, { grant: this.grant });
        obtained = credential;
        return { credential, subject: credential.subject };
      });
      // The redirect may fail the flow while openBrowser is still running: observe it now.
      done.catch(() => {});
      await (o.openBrowser ?? openBrowserOrPrint)(url.href);
      return (await done).credential;
    } finally {
      ctx.signal?.removeEventListener('abort', abort);
      await server.close();
    }
  }
}

/** A provider for the authorization code grant with PKCE and a loopback redirect. */
export function authorizationCode(options: AuthorizationCodeOptions): AuthorizationCodeProvider {
  return new AuthorizationCodeProvider(options);
}
