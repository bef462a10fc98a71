import * as oauth from 'oauth4webapi';
import { TokensmithError } from '../core/errors.js';
import { assertSecureUrl } from '../core/http.js';
import { getLogger } from '../core/log.js';
import { toTokensmithError } from './oauth-error.js';
import type { OAuth2CommonOptions } from './options.js';
import type { RequestOptions } from './request-options.js';
import { checkResponse } from './response-check.js';

const log = getLogger('oauth2');

/**
 * The server's metadata: discovered from `issuer` (OpenID Connect, then RFC 8414), or made from the
 * token endpoint's origin; explicit endpoints in `options` take precedence over discovered ones.
 * Throws `ERR_RESPONSE_MISSING_FIELD` when no token endpoint is known in the end.
 */
export async function resolveServer(
  options: OAuth2CommonOptions,
  request: RequestOptions,
): Promise<oauth.AuthorizationServer> {
  const o = options;
  let as: oauth.AuthorizationServer;
  if (o.issuer) {
    as = await discover(new URL(o.issuer), request);
  } else {
    as = { issuer: new URL(o.tokenEndpoint!).origin };
  }
  const explicit: Record<string, string | undefined> = {
    token_endpoint: o.tokenEndpoint,
    revocation_endpoint: o.revocationEndpoint,
    device_authorization_endpoint: o.deviceAuthorizationEndpoint,
    authorization_endpoint: o.authorizationEndpoint,
    jwks_uri: o.jwksUri,
  };
  for (const [k, v] of Object.entries(explicit)) {
    if (v) {
      assertSecureUrl(v, o.allowInsecureHttp, k);
      (as as Record<string, unknown>)[k] = v;
    }
  }
  if (!as.token_endpoint) {
    throw new TokensmithError('ERR_RESPONSE_MISSING_FIELD', 'server metadata has no token_endpoint', {
      field: 'token_endpoint',
      source: 'discovery document',
    });
  }
  return as;
}

/** OpenID Connect discovery, then RFC 8414 metadata when the first answers 404. */
async function discover(issuer: URL, request: RequestOptions): Promise<oauth.AuthorizationServer> {
  const attempt = async (algorithm: 'oidc' | 'oauth2') => {
    const response = await oauth.discoveryRequest(issuer, { algorithm, ...request });
    return oauth.processDiscoveryResponse(issuer, await checkResponse(response, 'discovery'));
  };
  try {
    return await attempt('oidc');
  } catch (err) {
    const e = toTokensmithError(err, 'discovery document');
    if (e.code !== 'ERR_HTTP_STATUS' || e.status !== 404) throw e;
    log.debug('no OpenID configuration; trying RFC 8414 metadata', { issuer: issuer.href });
    try {
      return await attempt('oauth2');
    } catch (err2) {
      throw toTokensmithError(err2, 'discovery document');
    }
  }
}
