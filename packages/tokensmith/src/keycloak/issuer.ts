import { TokensmithError } from '../core/errors.js';

/**
 * The issuer of a Keycloak realm: `{baseUrl}/realms/{realm}`, or `{baseUrl}/auth/realms/{realm}`
 * with the legacy prefix (a base URL already ending in `/auth` is kept as it is).
 */
export function issuerUrl(baseUrl: string, realm: string, legacyAuthPrefix = false): string {
  if (!realm) throw new TokensmithError('ERR_CONFIG_INVALID', 'realm is required');
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch (cause) {
    throw new TokensmithError('ERR_CONFIG_INVALID', 'baseUrl is not a valid URL', { cause });
  }
  let path = base.pathname.replace(/\/+$/, '');
  if (/\/realms(\/|$)/.test(path)) {
    throw new TokensmithError(
      'ERR_CONFIG_INVALID',
      'baseUrl must not contain /realms/…; pass the realm separately',
    );
  }
  if (legacyAuthPrefix && !path.endsWith('/auth')) path += '/auth';
  return `${base.origin}${path}/realms/${encodeURIComponent(realm)}`;
}
