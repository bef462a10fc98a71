/**
 * The Kalliope `X-authenticate` digest and header, pure functions only (no I/O, no clock).
 *
 * `inner  = hex(sha256(utf8(password + "{" + salt + "}")))`
 * `Digest = base64(sha256(utf8(nonce + inner + username + domain + created)))`
 *
 * See the NetResults REST API manual and the official PHP client (RestApiUtils.php).
 */
import { createHash, randomBytes } from 'node:crypto';

/** Name of the request header that carries the Kalliope credentials. */
export const HEADER_NAME = 'X-authenticate';

/** Scheme word at the start of the header value. */
export const HEADER_SCHEME = 'RestApiUsernameToken';

/**
 * The official header-validation regex (the manual's regex101.com/r/IEgL5V/1), anchored so that a
 * header with anything before or after it is malformed. Groups: username, domain, digest, nonce, created.
 */
export const HEADER_PATTERN =
  /^RestApiUsernameToken Username="([^"@]+)", Domain="([^"@]+){0,1}", Digest="([^"]+)", Nonce="([^"]+)", Created="(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)"$/;

/** Everything the digest is computed from. `password` and the derived inner hash are secrets. */
export interface DigestInput {
  username: string;
  password: string;
  /** Tenant domain; `default` on single-tenant systems. */
  domain: string;
  /** The tenant's salt from `GET /rest/salt/{domain}`. */
  salt: string;
  /** Fresh random hex per request. */
  nonce: string;
  /** `YYYY-MM-DDThh:mm:ssZ`, UTC, whole seconds. */
  created: string;
}

/** The five fields of an `X-authenticate` header. */
export interface AuthenticateFields {
  username: string;
  domain: string;
  digest: string;
  nonce: string;
  created: string;
}

/**
 * `hex(sha256(password{salt}))`: the salted password hash (Symfony's `mergePasswordAndSalt` format).
 * It is password-equivalent for this scheme: treat it as a secret.
 */
export function passwordHash(password: string, salt: string): string {
  return createHash('sha256').update(`${password}{${salt}}`, 'utf8').digest('hex');
}

/** The digest from an already salted password hash (see {@link passwordHash}). */
export function digestFromHash(
  inner: string,
  fields: Pick<DigestInput, 'username' | 'domain' | 'nonce' | 'created'>,
): string {
  return createHash('sha256')
    .update(fields.nonce + inner + fields.username + fields.domain + fields.created, 'utf8')
    .digest('base64');
}

/** The `Digest` value for one request: 44 characters of standard, padded base64. */
export function digest(input: DigestInput): string {
  return digestFromHash(passwordHash(input.password, input.salt), input);
}

/** A new nonce: 32 lowercase hex characters from the system CSPRNG. */
export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** `Created` for the instant `epochMs`: UTC, whole seconds (truncated), literal `Z`. */
export function formatCreated(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Parse a `Created` value back to epoch ms; undefined when it is not a real UTC instant. */
export function parseCreated(created: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(created)) return undefined;
  const t = Date.parse(created);
  // Date.parse rolls over some impossible dates; a round trip catches them (e.g. 02-30).
  return Number.isFinite(t) && formatCreated(t) === created ? t : undefined;
}

/** The header value, fields in the fixed order with `", "` separators and no escaping. */
export function formatHeader(fields: AuthenticateFields): string {
  return (
    `${HEADER_SCHEME} Username="${fields.username}", Domain="${fields.domain}", ` +
    `Digest="${fields.digest}", Nonce="${fields.nonce}", Created="${fields.created}"`
  );
}

/** Split a header value into its fields; undefined when it does not match {@link HEADER_PATTERN}. */
export function parseHeader(value: string): AuthenticateFields | undefined {
  const m = HEADER_PATTERN.exec(value);
  if (!m) return undefined;
  const [, username = '', domain = '', digestValue = '', nonce = '', created = ''] = m;
  return { username, domain, digest: digestValue, nonce, created };
}

/**
 * Why `value` cannot go into the header as a username or domain, or undefined when it can. The
 * header has no escaping, so the official regex forbids `"` and `@`; control and non-ASCII
 * characters are refused too, since header bytes would not match the UTF-8 the digest hashes.
 */
export function headerFieldProblem(value: string, what: 'username' | 'domain'): string | undefined {
  if (what === 'username' && value.length === 0) return 'username is empty';
  if (/["@]/.test(value)) return `${what} must not contain '"' or '@'`;
  if (/[^\x20-\x7e]/.test(value)) return `${what} must be printable ASCII`;
  return undefined;
}
