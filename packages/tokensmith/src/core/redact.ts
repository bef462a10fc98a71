/**
 * Redaction of secrets from any text that leaves the process (errors, logs, inspect output).
 *
 * Two mechanisms work together: every secret tokensmith handles is registered here the moment it is
 * read or received, and {@link redact} replaces each registered value; on top of that, values under
 * secret-looking keys and anything shaped like a JWT or bearer token are masked, so a secret that
 * was never registered (for example a token quoted by a server) is still caught.
 */

const MIN_SECRET_LENGTH = 4;
/** Cap of the transient registry (tokens); configuration secrets are never evicted. */
const MAX_TRANSIENT = 4096;
const MASK = '[REDACTED]';

/**
 * How long a secret stays registered. `pinned` (the default) is for secrets a process holds for its
 * whole life (client secret, password, admin secret, app token): never evicted. `transient` is for
 * values that keep changing (access, refresh and ID tokens, KSs, device codes): the oldest are
 * dropped past {@link MAX_TRANSIENT}, so a long-running proxy does not grow without bound and never
 * evicts its client secret because of token churn.
 */
export type SecretLifetime = 'pinned' | 'transient';

const pinned = new Set<string>();
// Insertion-ordered so the oldest token is dropped first when the registry is full.
const transient = new Set<string>();
// Registered values by their first MIN_SECRET_LENGTH characters: redact() looks up each position of
// the text here, so its cost grows with the text, not with the number of secrets (a regex of
// thousands of alternatives was rebuilt on every new secret and took seconds).
const byPrefix = new Map<string, Set<string>>();

function index(value: string): void {
  const key = value.slice(0, MIN_SECRET_LENGTH);
  const set = byPrefix.get(key);
  if (set) set.add(value);
  else byPrefix.set(key, new Set([value]));
}

function unindex(value: string): void {
  const key = value.slice(0, MIN_SECRET_LENGTH);
  const set = byPrefix.get(key);
  set?.delete(value);
  if (set?.size === 0) byPrefix.delete(key);
}

/** Remember `value` as a secret so that {@link redact} removes it everywhere. Short values are ignored. */
export function registerSecret(value: string | undefined | null, lifetime: SecretLifetime = 'pinned'): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || pinned.has(value)) return;
  if (lifetime === 'transient' && transient.has(value)) return;
  // Secrets also travel percent-encoded in form bodies and URLs; Basic headers are caught by pattern.
  const encoded = encodeURIComponent(value);
  for (const form of new Set([value, encoded, encoded.replace(/%20/g, '+')])) {
    if (lifetime === 'pinned') {
      transient.delete(form);
      pinned.add(form);
    } else if (!pinned.has(form)) {
      transient.add(form);
    }
    index(form);
  }
  while (transient.size > MAX_TRANSIENT) {
    const oldest = transient.values().next().value as string;
    transient.delete(oldest);
    if (!pinned.has(oldest)) unindex(oldest);
  }
}

/** Replace every registered value in `text`, longest match first at each position. */
function replaceRegistered(text: string): string {
  if (byPrefix.size === 0 || text.length < MIN_SECRET_LENGTH) return text;
  let out = '';
  let copied = 0;
  for (let i = 0; i <= text.length - MIN_SECRET_LENGTH; ) {
    const candidates = byPrefix.get(text.slice(i, i + MIN_SECRET_LENGTH));
    let match = 0;
    if (candidates) {
      for (const c of candidates) if (c.length > match && text.startsWith(c, i)) match = c.length;
    }
    if (match === 0) {
      i++;
      continue;
    }
    out += text.slice(copied, i) + MASK;
    i += match;
    copied = i;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Keys whose values are always secret, whatever they hold. */
const SECRET_KEY =
  /^(?:password|passwd|pass|secret|client_secret|clientsecret|adminsecret|admin_secret|access_token|accesstoken|refresh_token|refreshtoken|id_token|idtoken|token|apptoken|app_token|ks|subject_token|actor_token|assertion|client_assertion|code_verifier|device_code|authorization|proxy-authorization|cookie|set-cookie|x-authenticate|digest|privatekey|private_key)$/i;

/** True when a field, header or parameter with this name holds a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer|Basic|DPoP)(\s+)([A-Za-z0-9._~+/=-]{6,})/gi;
const KEY_VALUE =
  /\b(password|passwd|client_secret|secret|access_token|refresh_token|id_token|subject_token|actor_token|device_code|code_verifier|ks|token|assertion|client_assertion|Digest)(["']?)(\s*[:=]\s*)(["']?)([^\s"'&,;]+)/gi;
/** A plain word (letters, lower case after an optional capital): prose, not a credential. */
const WORD = /^[A-Za-z][a-z]*$/;

/**
 * Mask the value in `key=value`, `"key": "value"`, `key:value` and `key: value`. In the last form,
 * the only one prose uses ("password: standard input was empty"), a plain word is left alone; a
 * value is masked when it is quoted, follows `=` or a bare colon, or does not read as a word.
 */
function maskKeyValue(
  match: string,
  key: string,
  keyQuote: string,
  sep: string,
  valueQuote: string,
  value: string,
): string {
  const prose = !keyQuote && !valueQuote && !sep.includes('=') && /:\s/.test(sep) && WORD.test(value);
  return prose ? match : `${key}${keyQuote}${sep}${valueQuote}${MASK}`;
}

/** Return `text` with every registered secret, JWT, bearer credential and `secret=value` pair masked. */
export function redact(text: string): string {
  if (!text) return text;
  return replaceRegistered(text)
    .replace(JWT, MASK)
    .replace(BEARER, (m, scheme: string, space: string, credential: string) =>
      WORD.test(credential) ? m : `${scheme}${space}${MASK}`,
    )
    .replace(KEY_VALUE, maskKeyValue);
}

/** Deep copy of a JSON-like value with secret keys masked and every string passed through {@link redact}. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (value instanceof URLSearchParams) {
    return redactValue(Object.fromEntries(value), depth);
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretKey(k) && v !== undefined && v !== null && v !== '' ? MASK : redactValue(v, depth + 1);
    }
    return out;
  }
  return value;
}

/**
 * Fields of an answer that describe the exchange rather than carry a credential: OAuth errors and
 * token metadata, discovery endpoints and lists, Kaltura's error and object type.
 */
const DESCRIPTIVE_KEY =
  /^(?:error|error_description|error_uri|token_type|scope|issuer|objectType|code|message)$|_(?:endpoint|uri|supported)$/;
/** Longest array or object a preview shows in full. */
const PREVIEW_ITEMS = 20;

/**
 * A server's answer as a debug line may show it before the secrets in it are registered: the
 * structure, numbers, booleans and null are kept; a string is kept (redacted) only under a
 * descriptive key, every other string, including an answer that is a bare string (Kaltura's
 * `session.start` answers with the KS alone), becomes `[N chars]`. The rule needs no knowledge of
 * where each scheme puts its secrets, so a new field or a new scheme cannot leak through it.
 */
export function maskAnswer(value: unknown, key?: string, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (typeof value === 'string') {
    return key !== undefined && DESCRIPTIVE_KEY.test(key) ? redact(value) : `[${value.length} chars]`;
  }
  if (Array.isArray(value)) {
    const shown = value.slice(0, PREVIEW_ITEMS).map((v) => maskAnswer(v, key, depth + 1));
    return value.length > PREVIEW_ITEMS ? [...shown, `[+${value.length - PREVIEW_ITEMS} more]`] : shown;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries.slice(0, PREVIEW_ITEMS)) out[k] = maskAnswer(v, k, depth + 1);
    if (entries.length > PREVIEW_ITEMS) out['…'] = `[+${entries.length - PREVIEW_ITEMS} more fields]`;
    return out;
  }
  return value;
}

/** The mask used in place of secrets, exported so tests and formatters agree on it. */
export const REDACTED = MASK;
