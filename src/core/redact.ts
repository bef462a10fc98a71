/**
 * Redaction of secrets from any text that leaves the process (errors, logs, inspect output).
 *
 * Two mechanisms work together: every secret tokensmith handles is registered here the moment it is
 * read or received, and {@link redact} replaces each registered value; on top of that, values under
 * secret-looking keys and anything shaped like a JWT or bearer token are masked, so a secret that
 * was never registered (for example a token quoted by a server) is still caught.
 */

const MIN_SECRET_LENGTH = 4;
const MAX_REGISTERED = 4096;
const MASK = '[REDACTED]';

// Insertion-ordered so the oldest secret is dropped first when the registry is full.
const registered = new Set<string>();
let pattern: RegExp | undefined;

/** Remember `value` as a secret so that {@link redact} removes it everywhere. Short values are ignored. */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || registered.has(value)) return;
  // Secrets also travel percent-encoded in form bodies and URLs; Basic headers are caught by pattern.
  const encoded = encodeURIComponent(value);
  for (const form of [value, encoded, encoded.replace(/%20/g, '+')]) registered.add(form);
  while (registered.size > MAX_REGISTERED) registered.delete(registered.values().next().value as string);
  pattern = undefined;
}

/** Keys whose values are always secret, whatever they hold. */
const SECRET_KEY =
  /^(?:password|passwd|pass|secret|client_secret|clientsecret|adminsecret|admin_secret|access_token|accesstoken|refresh_token|refreshtoken|id_token|idtoken|token|apptoken|app_token|ks|subject_token|actor_token|assertion|client_assertion|code_verifier|device_code|authorization|proxy-authorization|cookie|set-cookie|x-authenticate|digest|privatekey|private_key)$/i;

/** True when a field, header or parameter with this name holds a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer|Basic|DPoP)\s+[A-Za-z0-9._~+/=-]{6,}/gi;
const KEY_VALUE =
  /\b(password|passwd|client_secret|secret|access_token|refresh_token|id_token|subject_token|actor_token|device_code|code_verifier|ks|token|assertion|client_assertion|Digest)(["']?\s*[:=]\s*["']?)([^\s"'&,;]+)/gi;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function registeredPattern(): RegExp | undefined {
  if (registered.size === 0) return undefined;
  if (!pattern) {
    // Longest first, so a secret that contains another is removed whole.
    const alternatives = [...registered].sort((a, b) => b.length - a.length).map(escapeRegExp);
    pattern = new RegExp(alternatives.join('|'), 'g');
  }
  return pattern;
}

/** Return `text` with every registered secret, JWT, bearer credential and `secret=value` pair masked. */
export function redact(text: string): string {
  if (!text) return text;
  let out = text;
  const re = registeredPattern();
  if (re) out = out.replace(re, MASK);
  return out
    .replace(JWT, MASK)
    .replace(BEARER, (_m, scheme: string) => `${scheme} ${MASK}`)
    .replace(KEY_VALUE, (_m, key: string, sep: string) => `${key}${sep}${MASK}`);
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

/** The mask used in place of secrets, exported so tests and formatters agree on it. */
export const REDACTED = MASK;
