/** Making a KS with the admin secret, as `session.start` would, without a server. */
import { TokensmithError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';
import type { KsEncodeOptions } from './types.js';
import { encodeV1 } from './v1.js';
import { encodeV2 } from './v2.js';

/** Create a KS v1 or v2 signed with the admin secret (as `session.start` would, without a server). */
export function encode(options: KsEncodeOptions): string {
  const { adminSecret, partnerId } = options;
  if (typeof adminSecret !== 'string' || !adminSecret) {
    throw new TokensmithError('ERR_CONFIG_INVALID', 'encoding a KS needs the admin secret');
  }
  registerSecret(adminSecret);
  if (!Number.isInteger(partnerId))
    throw new TokensmithError('ERR_CONFIG_INVALID', 'partnerId must be an integer');
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  const validUntil = options.validUntil ?? nowSeconds + (options.expiry ?? 86400);
  const type = options.type ?? 0;
  const userId = options.userId ?? '';
  const privileges = options.privileges ?? '';
  const ks =
    (options.version ?? 2) === 1
      ? encodeV1(options, validUntil, type, userId, privileges)
      : encodeV2(options, validUntil, type, userId, privileges);
  registerSecret(ks, 'transient');
  return ks;
}
