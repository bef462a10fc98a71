import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertSecureUrl, type FetchLike, networkError } from 'tokensmith/internal/core/http.js';
import type { CliSource, SourceFlags } from '../credential-source.js';
import { info, readStdin, UsageError } from '../io.js';
import { parseMinValidity } from '../min-validity.js';
import { withSource } from '../with-source.js';

/** Flags of `tokensmith request`. */
export interface RequestFlags extends SourceFlags {
  request?: string;
  header?: string[];
  data?: string;
  include?: boolean;
  /** `--min-validity SECONDS`: a token valid at least this long. */
  minValidity?: string;
}

/**
 * `tokensmith request URL`: one HTTP request with the profile's credentials (renewed and replayed
 * once on a 401); the body goes to stdout, and an HTTP error status exits 1.
 */
export async function requestCommand(url: string, flags: RequestFlags): Promise<void> {
  // Credentials go over https, or plain http only to loopback unless the user opted in.
  const target = assertSecureUrl(url, flags.allowInsecureHttp, 'request URL');
  const headers = new Headers();
  for (const h of flags.header ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new UsageError(`-H must look like "Name: value" (got "${h.slice(0, 40)}")`);
    headers.append(h.slice(0, colon).trim(), h.slice(colon + 1).trim());
  }
  const body = flags.data === undefined ? undefined : await readData(flags.data);
  if (body !== undefined && !headers.has('content-type')) {
    headers.set('content-type', 'application/x-www-form-urlencoded'); // as curl -d does
  }
  const method = (flags.request ?? (body === undefined ? 'GET' : 'POST')).toUpperCase();
  const minValiditySeconds = parseMinValidity(flags.minValidity);
  await withSource(flags, async (source) => {
    // Renewed first when it would expire sooner; authFetch then takes the same credential.
    if (minValiditySeconds !== undefined && source.kind === 'manager') {
      await source.manager.getCredential({ minValiditySeconds });
    }
    const send = await fetchFor(source);
    const response = await send(target.href, { method, headers, body }).catch((cause: unknown) => {
      // The API could not be reached: say how, as for the token endpoint, not "fetch failed".
      throw networkError(cause, method, target.href, 'API');
    });
    if (flags.include) {
      process.stdout.write(`HTTP ${response.status} ${response.statusText}\n`);
      for (const [k, v] of response.headers) process.stdout.write(`${k}: ${v}\n`);
      process.stdout.write('\n');
    }
    if (response.body)
      await pipeline(Readable.fromWeb(response.body as never), process.stdout, { end: false });
    if (response.status >= 400) {
      info(`tokensmith: HTTP ${response.status} from ${target.origin}${target.pathname}`);
      process.exitCode = 1;
    }
  });
}

/** The fetch that fits the source: Kaltura puts the KS in the request, others use headers. */
async function fetchFor(source: CliSource): Promise<FetchLike> {
  if (source.kind === 'signer') {
    const { authFetch } = await import('tokensmith/internal/fetch/auth-fetch.js');
    return authFetch(source.signer, { fetch: source.fetch });
  }
  if (source.manager.provider.kind === 'kaltura') {
    const { kalturaFetch } = await import('tokensmith/internal/kaltura/ks-fetch.js');
    return kalturaFetch(source.manager, { fetch: source.fetch });
  }
  const { authFetch } = await import('tokensmith/internal/fetch/auth-fetch.js');
  // A profile with TLS settings sends its client certificate to the API too (bound tokens).
  return authFetch(source.manager, { fetch: source.fetch });
}

/** `-d` data: literal text, `@FILE`, or `@-` for stdin (as curl). */
async function readData(data: string): Promise<string> {
  if (!data.startsWith('@')) return data;
  const path = data.slice(1);
  return path === '-' ? readStdin() : readFile(path, 'utf8');
}
