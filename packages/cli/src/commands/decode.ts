import { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { registerSecret } from 'tokensmith/internal/core/redact.js';
import { isoTime } from 'tokensmith/internal/core/time-bounds.js';
import { describeExpiry } from '../human-time.js';
import { info, out, readStdin, UsageError } from '../io.js';

/** Flags of `tokensmith decode`. */
export interface DecodeFlags {
  json?: boolean;
  /** Environment variable with a Kaltura admin secret, to read a KS v2 and check its signature. */
  kalturaSecretEnv?: string;
}

const TIME_CLAIMS = ['exp', 'iat', 'nbf', 'auth_time'] as const;

/**
 * `tokensmith decode [TOKEN|-]`: show a JWT's header and claims (times in ISO form, expiry marked),
 * or a Kaltura KS. Nothing is verified for a JWT; read the token from stdin to keep it out of `ps`.
 * A time claim no `Date` can hold (`exp: 1e300`) is shown as `out of range`, never an error.
 */
export async function decodeCommand(arg: string | undefined, flags: DecodeFlags): Promise<void> {
  const token = (
    arg === undefined || arg === '-'
      ? await readStdin('give the token as an argument, or pipe it on stdin')
      : arg
  ).trim();
  if (!token) throw new UsageError('no token: give it as an argument or on stdin');
  registerSecret(token);
  if (token.split('.').length === 3 || token.split('.').length === 5) {
    await decodeJwtToken(token, flags);
    return;
  }
  const [{ inspect }, { printKsInspection }, { secretFromEnv }] = await Promise.all([
    import('tokensmith/internal/kaltura/ks/index.js'),
    import('./kaltura-inspect.js'),
    import('./kaltura-common.js'),
  ]);
  let result: ReturnType<typeof inspect>;
  try {
    result = inspect(token, { adminSecret: secretFromEnv(flags.kalturaSecretEnv) });
  } catch (err) {
    if (err instanceof TokensmithError && err.code === 'ERR_KS_INVALID') {
      throw new TokensmithError('ERR_TOKEN_MALFORMED', 'not a JWT (three base64url parts) nor a Kaltura KS', {
        cause: err,
      });
    }
    throw err;
  }
  printKsInspection(result, !!flags.json);
}

async function decodeJwtToken(token: string, flags: DecodeFlags): Promise<void> {
  // Imported here so `decode` of a KS does not load jose.
  const { decodeJwt } = await import('tokensmith/internal/core/jwt.js');
  const { header, claims } = decodeJwt(token);
  const now = Date.now();
  const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  const times: Record<string, string> = {};
  for (const k of TIME_CLAIMS) {
    const v = claims[k];
    if (typeof v === 'number') times[k] = isoTime(v * 1000) ?? 'out of range';
  }
  const expired = exp !== undefined && exp <= now;
  if (flags.json) {
    out(JSON.stringify({ header, claims, times, expired, signatureVerified: false }, null, 2));
    return;
  }
  out(`header: ${JSON.stringify(header, null, 2)}`);
  out(`claims: ${JSON.stringify(claims, null, 2)}`);
  for (const [k, iso] of Object.entries(times)) out(`${k}: ${iso}`);
  out(
    `expiry: ${exp === undefined ? 'no exp claim' : `${describeExpiry(exp, now)}${expired ? ' (EXPIRED)' : ''}`}`,
  );
  info('note: the signature was not verified');
}
