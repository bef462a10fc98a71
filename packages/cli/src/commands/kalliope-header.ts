/**
 * `tokensmith kalliope header`: fetch the tenant salt and print one `X-authenticate` header on
 * stdout, e.g. for `curl -H "$(tokensmith kalliope header --url …)"`. A header is good for one
 * request only (its nonce is then used) and for 5 minutes.
 */
import { registerSecret } from 'tokensmith/internal/core/redact.js';
import { parseConnectionString } from 'tokensmith/internal/kalliope/connection-string.js';
import { signer } from 'tokensmith/internal/kalliope/signer.js';
import { fetchForTlsFlags, type TlsFlags } from '../config/tls-files.js';
import { info, out, UsageError } from '../io.js';

/** Parsed options of `kalliope header`. */
export interface KalliopeHeaderOptions extends TlsFlags {
  url: string;
  username?: string;
  /** Name of the environment variable holding the password (default `KALLIOPE_PASSWORD`). */
  passwordEnv: string;
  /** True when `--password-env` was given on the command line rather than defaulted. */
  passwordEnvExplicit?: boolean;
  domain?: string;
  allowInsecureHttp?: boolean;
  json?: boolean;
}

/** Run `kalliope header`. Throws `UsageError` or `TokensmithError`; never exits the process. */
export async function kalliopeHeader(opts: KalliopeHeaderOptions): Promise<void> {
  const connection = parseConnectionString(opts.url);
  let password: string | undefined;
  if (connection.username !== undefined) {
    if (opts.username !== undefined || opts.passwordEnvExplicit) {
      throw new UsageError('--url already has credentials; do not also give --username or --password-env');
    }
    info(
      'tokensmith: warning: a password inside --url is visible to other local users; prefer --password-env',
    );
  } else {
    if (!opts.username) throw new UsageError('--username is required when --url has no credentials');
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(opts.passwordEnv)) {
      throw new UsageError('--password-env must name an environment variable');
    }
    password = process.env[opts.passwordEnv];
    if (!password) {
      throw new UsageError(`set the password in the environment variable ${opts.passwordEnv}`);
    }
    registerSecret(password);
  }

  const s = signer({
    url: connection,
    username: connection.username === undefined ? opts.username : undefined,
    password,
    domain: opts.domain,
    allowInsecureHttp: opts.allowInsecureHttp,
    fetch: fetchForTlsFlags(opts),
  });
  const header = await s.header();
  if (opts.json) {
    out(
      JSON.stringify({
        name: header.name,
        value: header.value,
        baseUrl: s.baseUrl,
        username: s.username,
        domain: s.domain,
        nonce: header.nonce,
        created: header.created,
        clockOffsetMs: s.clockOffsetMs,
      }),
    );
  } else {
    out(`${header.name}: ${header.value}`);
  }
}
