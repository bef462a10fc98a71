/**
 * Kaltura API exceptions: api_v3 answers HTTP 200 with `{code, message, objectType: 'KalturaAPIException',
 * args}` (KalturaSerializer::convertExceptionsToPhpArrays). A single call turns one into a thrown
 * `TokensmithError('ERR_KALTURA_API')`; a multirequest keeps it in place as a {@link KalturaApiException}.
 */
import { TokensmithError } from '../core/errors.js';

/** The wire form of an API exception. */
export interface KalturaExceptionObject {
  code: string;
  message?: string;
  objectType: 'KalturaAPIException';
  args?: unknown;
}

/** True when `value` is a Kaltura API exception object. */
export function isKalturaException(value: unknown): value is KalturaExceptionObject {
  return (
    !!value &&
    typeof value === 'object' &&
    (value as { objectType?: unknown }).objectType === 'KalturaAPIException' &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

/** `args` as a name → string map (the server sends `[]` when there are none). */
function argsOf(args: unknown): Record<string, string> {
  if (!args || typeof args !== 'object' || Array.isArray(args)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(args)) out[k] = typeof v === 'string' ? v : String(v);
  return out;
}

/** Turn a Kaltura API exception into a TokensmithError (message redacted; `args` kept out as they may quote a KS). */
export function kalturaError(
  exception: { code: string; message?: string; args?: unknown },
  what: string,
): TokensmithError {
  const reason = argsOf(exception.args).KSID;
  // For an expired/ended/restricted KS the server puts the reason (EXPIRED, LOGOUT, ...) in KSID.
  const extra =
    exception.code === 'INVALID_KS' && typeof reason === 'string' && /^[A-Z_]+$/.test(reason)
      ? ` (${reason})`
      : '';
  return new TokensmithError(
    'ERR_KALTURA_API',
    `${what} failed: ${exception.code}${extra}: ${exception.message ?? 'no message'}`,
    { vendorCode: exception.code, source: what },
  );
}

/** An API exception returned in place of one result of a multirequest. */
export class KalturaApiException {
  readonly objectType = 'KalturaAPIException';
  /** The Kaltura error code, e.g. `APP_TOKEN_ID_NOT_FOUND`. */
  readonly code: string;
  readonly message: string;
  /** The template's named arguments, e.g. `{ ID: '0_abc' }` (may quote a KS: keep them out of logs). */
  readonly args: Readonly<Record<string, string>>;
  /** `Kaltura service.action` of the call that failed. */
  readonly source: string;

  constructor(exception: KalturaExceptionObject, source: string) {
    this.code = exception.code;
    this.message = exception.message ?? '';
    this.args = Object.freeze(argsOf(exception.args));
    this.source = source;
  }

  /** The error the same call made alone would have thrown. */
  toError(): TokensmithError {
    return kalturaError(this, this.source);
  }
}
