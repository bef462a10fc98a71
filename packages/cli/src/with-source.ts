import type { RequestSigner } from 'tokensmith/internal/core/provider.js';
import { type CliSource, openCliSource, type SourceFlags } from './credential-source.js';
import { deviceScreen } from './device-screen.js';

/**
 * Open the flags' credential source with the terminal's interactive hooks (device screen; the
 * browser opener prints the URL over SSH, in CI or without a display), run `body`, then close it.
 */
export async function withSource<T>(flags: SourceFlags, body: (source: CliSource) => Promise<T>): Promise<T> {
  const screen = deviceScreen();
  const source = await openCliSource(flags, screen);
  let ok = false;
  try {
    const result = await body(source);
    ok = true;
    return result;
  } finally {
    screen.stop(ok ? 'ok' : 'failed');
    await source.close();
  }
}

/**
 * Headers a per-request signer makes for a GET of its own base URL: what `token` prints for a
 * signing profile, and what `login` uses to prove the credentials work.
 */
export function signOnce(signer: RequestSigner): Promise<Record<string, string>> {
  const base = (signer as { baseUrl?: string }).baseUrl ?? '';
  return signer.sign({ method: 'GET', url: `${base}/` });
}
