import { spawn } from 'node:child_process';

/**
 * True when a browser can be opened here: a desktop OS or a Linux display, and neither SSH nor CI
 * (where the URL must be printed for the person to open elsewhere).
 */
export function canOpenBrowser(env: NodeJS.ProcessEnv = process.env, platform = process.platform): boolean {
  if (env.CI || env.SSH_CONNECTION || env.SSH_TTY) return false;
  if (platform === 'darwin' || platform === 'win32') return true;
  return !!(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** Options of {@link openBrowserOrPrint} and {@link browserLaunch}. */
export interface OpenBrowserOptions {
  /**
   * Browser command line (the CLI's `--browser-command`), used instead of `$BROWSER`. Split into
   * words like a shell would (quotes group words) but never run by a shell; a `%s` in a word is
   * replaced by the URL, else the URL is added as the last argument.
   */
  command?: string;
  /** Environment to read `BROWSER`, `CI`, `SSH_*` and `DISPLAY` from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Platform whose launcher to use (default `process.platform`). */
  platform?: NodeJS.Platform;
}

/** A program and its arguments, started without a shell. */
export interface BrowserLaunch {
  command: string;
  args: string[];
}

/** Split a command line into words: whitespace separates, '…' and "…" group; nothing is expanded. */
function splitWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * How `url` would be opened: `options.command`, else the first entry of `$BROWSER` (a list separated
 * by `:`, `;` on Windows), else the platform's launcher; `undefined` when no browser can be opened
 * (see {@link canOpenBrowser}; an explicit command is always tried). The URL is always exactly one
 * argument of a program started without a shell, so no character in it (`&`, `;`, `$(…)`, quotes) can
 * run anything, even when a hostile discovery document chose the authorization URL.
 */
export function browserLaunch(url: string, options: OpenBrowserOptions = {}): BrowserLaunch | undefined {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const listed = (env.BROWSER ?? '')
    .split(platform === 'win32' ? ';' : ':')
    .map((entry) => entry.trim())
    .find(Boolean);
  const words = splitWords(options.command?.trim() || listed || '');
  const [command, ...rest] = words;
  if (command !== undefined) {
    const substituted = rest.some((word) => word.includes('%s'));
    // A function replacement, so `$&` and similar patterns in the URL stay literal.
    const args = rest.map((word) => word.replaceAll('%s', () => url));
    return { command, args: substituted ? args : [...args, url] };
  }
  if (!canOpenBrowser(env, platform)) return undefined;
  if (platform === 'darwin') return { command: 'open', args: [url] };
  // Not `cmd /c start`: cmd.exe would read &, |, ^ and % in the URL as its own syntax.
  if (platform === 'win32') return { command: 'rundll32', args: ['url.dll,FileProtocolHandler', url] };
  return { command: 'xdg-open', args: [url] };
}

/**
 * Open `url` in the user's browser ({@link browserLaunch}), or print it on stderr when no browser
 * can be opened or the launcher cannot start.
 */
export async function openBrowserOrPrint(url: string, options: OpenBrowserOptions = {}): Promise<void> {
  const launch = browserLaunch(url, options);
  if (!launch) {
    process.stderr.write(`Open this URL in a browser to sign in:\n  ${url}\n`);
    return;
  }
  await new Promise<void>((resolve) => {
    const child = spawn(launch.command, launch.args, { stdio: 'ignore', detached: true, shell: false });
    child.once('error', () => {
      process.stderr.write(`Could not start a browser. Open this URL to sign in:\n  ${url}\n`);
      resolve();
    });
    child.once('spawn', () => {
      child.unref();
      process.stderr.write(`Opened your browser to sign in. If nothing appeared, open:\n  ${url}\n`);
      resolve();
    });
  });
}
