import type { SourceFlags } from '../credential-source.js';
import { info, out } from '../io.js';
import { parseTokenType } from '../token-format.js';
import { withSource } from '../with-source.js';

/** Flags of `tokensmith proxy`. */
export interface ProxyFlags extends SourceFlags {
  upstream: string;
  listen?: string;
  allowNonLoopback?: boolean;
  /** `--accept-hosts`, each value possibly a comma-separated list. */
  acceptHosts?: string[];
  /** `--allow-origin`, once per origin. */
  allowOrigin?: string[];
  /** `access` (default) or `id`: which token goes upstream. */
  tokenType?: string;
  json?: boolean;
}

/**
 * `tokensmith proxy`: a loopback HTTP listener that forwards every request to `--upstream` with the
 * profile's fresh credentials, until SIGTERM or SIGINT (then it drains in-flight requests and exits 0).
 */
export async function proxyCommand(flags: ProxyFlags): Promise<void> {
  const proxy = await import('tokensmith/internal/proxy/index.js');
  await withSource(flags, async (source) => {
    const handle = await proxy.start({
      source: source.kind === 'manager' ? source.manager : source.signer,
      upstream: flags.upstream,
      listen: flags.listen,
      allowNonLoopback: flags.allowNonLoopback,
      acceptHosts: (flags.acceptHosts ?? []).flatMap((v) => v.split(',')).filter((v) => v.trim() !== ''),
      allowOrigins: flags.allowOrigin ?? [],
      allowInsecureHttp: flags.allowInsecureHttp,
      tokenType: parseTokenType(flags.tokenType),
      // The profile's CA and client certificate hold for the upstream too (certificate-bound tokens).
      tls: await source.tls?.(),
    });
    // The address goes to stdout (one line, or JSON) so scripts can read the chosen port.
    if (flags.json) out(JSON.stringify({ url: handle.url, upstream: flags.upstream, profile: source.name }));
    else out(handle.url);
    info(
      `tokensmith proxy: ${handle.url} → ${flags.upstream} (profile ${source.name}); stop with Ctrl-C or SIGTERM`,
    );
    const signal = await proxy.closeOnSignals(handle).closed;
    info(`tokensmith proxy: closed on ${signal}`);
  });
}
