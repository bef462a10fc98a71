import type { JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { TokensmithError } from '../core/errors.js';
import type { OAuth2CommonOptions } from './options.js';

/**
 * The client authentication oauth4webapi applies to each request, chosen from the options:
 * the explicit `clientAuth`, else basic with a secret, `private_key_jwt` with a key, else `none`.
 * Throws `ERR_CONFIG_INVALID` when the chosen method lacks what it needs.
 */
export async function makeClientAuth(options: OAuth2CommonOptions): Promise<oauth.ClientAuth> {
  const o = options;
  const method =
    o.clientAuth ?? (o.clientSecret ? 'client_secret_basic' : o.privateKey ? 'private_key_jwt' : 'none');
  switch (method) {
    case 'client_secret_basic':
    case 'client_secret_post':
      if (!o.clientSecret) throw new TokensmithError('ERR_CONFIG_INVALID', `${method} needs a clientSecret`);
      return method === 'client_secret_basic'
        ? clientSecretBasic(o.clientSecret)
        : oauth.ClientSecretPost(o.clientSecret);
    case 'private_key_jwt': {
      if (!o.privateKey)
        throw new TokensmithError('ERR_CONFIG_INVALID', 'private_key_jwt needs a privateKey');
      const key = o.privateKey;
      if ('type' in key && (key as CryptoKey).type === 'private')
        return oauth.PrivateKeyJwt(key as CryptoKey);
      const jwk = key as JWK;
      if (!jwk.alg) throw new TokensmithError('ERR_CONFIG_INVALID', 'the privateKey JWK needs an "alg"');
      // jose is loaded when first needed: a CLI run served from the cache never needs it.
      const { importJWK } = await import('jose');
      const imported = (await importJWK(jwk, jwk.alg)) as CryptoKey;
      return oauth.PrivateKeyJwt({ key: imported, kid: jwk.kid });
    }
    case 'tls_client_auth':
    case 'self_signed_tls_client_auth':
      // RFC 8705: the client id goes in the body; the certificate on the TLS connection proves it.
      if (!o.tls?.cert)
        throw new TokensmithError(
          'ERR_CONFIG_INVALID',
          `${method} needs a TLS client certificate (tls.cert)`,
        );
      return oauth.TlsClientAuth();
    case 'none':
      return oauth.None();
    default:
      throw new TokensmithError('ERR_CONFIG_INVALID', `unknown clientAuth "${String(method)}"`);
  }
}

/**
 * `client_secret_basic` (RFC 6749 §2.3.1): `Authorization: Basic base64(id:secret)`, with the id
 * and the secret each form-urlencoded first ({@link formUrlEncode}).
 *
 * oauth4webapi's `ClientSecretBasic` also percent-encodes `-`, `.`, `_`, `*`, `~`, `!`, `'`, `(`
 * and `)`; servers that do not form-urldecode the parts then see `test%2Dclient` and refuse the
 * client. Encoding only what the form-urlencoding must encode keeps every RFC-following server
 * working and sends exactly what `curl -u id:secret` sends for the usual ids and secrets.
 */
export function clientSecretBasic(clientSecret: string): oauth.ClientAuth {
  return (_as, client, _body, headers) => {
    // A lone surrogate has no UTF-8 form: it would silently become U+FFFD and fail as invalid_client.
    if (LONE_SURROGATE.test(client.client_id) || LONE_SURROGATE.test(clientSecret)) {
      throw new TokensmithError(
        'ERR_CONFIG_INVALID',
        'the client id or secret is not valid Unicode (a lone surrogate)',
      );
    }
    const credentials = `${formUrlEncode(client.client_id)}:${formUrlEncode(clientSecret)}`;
    headers.set('authorization', `Basic ${Buffer.from(credentials, 'latin1').toString('base64')}`);
  };
}

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The application/x-www-form-urlencoded serialisation of one value (WHATWG URL standard, as
 * `URLSearchParams` writes it): ASCII letters, digits and `*-._` stay as they are, space becomes
 * `+`, every other UTF-8 byte becomes `%XX`. The result is ASCII.
 */
export function formUrlEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}
