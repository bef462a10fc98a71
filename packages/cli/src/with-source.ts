import type { RequestSigner } from 'tokensmith/internal/core/provider.js';
import { type CliSource, openCliSource, type SourceFlags } from './credential-source.js';
import { deviceScreen } from './device-screen.js';
import { noPersonReason } from './person.js';

/** Options of {@link withSource}. */
export interface WithSourceOptions {
  /** Wait for a person's device or browser login even without a terminal (`login` only). */
  mayWait?: boolean;
  /** kubectl's `spec.interactive`, when it said (false: nobody can answer a prompt). */
  interactive?: boolean;
}

/**
 * Open the flags' credential source with the terminal's interactive hooks (device screen; the
 * browser opener prints the URL over SSH, in CI or without a display), run `body`, then close it.
 * Unless `mayWait`, a login that needs a person fails at once with `ERR_LOGIN_REQUIRED` when none
 * can answer (no terminal, `CI`, kubectl non-interactive; see person.ts).
 */
export async function withSource<T>(
  flags: SourceFlags & { browserCommand?: string },
  body: (source: CliSource) => Promise<T>,
  options: WithSourceOptions = {},
): Promise<T> {
  const screen = deviceScreen();
  const noPerson = options.mayWait ? undefined : noPersonReason({ interactive: options.interactive });
  // `--browser-command` replaces $BROWSER; without it the library's opener reads $BROWSER itself.
  const command = flags.browserCommand;
  const openBrowser = command
    ? async (url: string) =>
        (await import('tokensmith/internal/oauth2/open-browser.js')).openBrowserOrPrint(url, { command })
    : undefined;
  const source = await openCliSource(flags, { ...screen, noPerson, openBrowser });
  let ok = false;
  try {
    const result = await body(source);
    ok = true;
    return result;
  } finally {
    screen.stop(ok ? 'ok' : 'failed');
    // A token served inside its refresh window is renewed in the background: let that renewal finish
    // (and store its result) before the cache closes.
    if (source.kind === 'manager') await source.manager.idle();
    await source.close();
  }
}

/**
 * {@link withSource} for `login`, the one command that waits for a person's device or browser login
 * even without a terminal (a script may run it for its user, who approves on another device).
 */
export function withLoginSource<T>(
  flags: SourceFlags & { browserCommand?: string },
  body: (source: CliSource) => Promise<T>,
): Promise<T> {
  return withSource(flags, body, { mayWait: true });
}

/**
 * Headers a per-request signer makes for a GET of its own base URL: what `token` prints for a
 * signing profile, and what `login` uses to prove the credentials work.
 */
export function signOnce(signer: RequestSigner): Promise<Record<string, string>> {
  const base = (signer as { baseUrl?: string }).baseUrl ?? '';
  return signer.sign({ method: 'GET', url: `${base}/` });
}
