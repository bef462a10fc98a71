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

/** Open `url` in the user's browser, or print it on stderr when no browser can be opened. */
export async function openBrowserOrPrint(url: string): Promise<void> {
  if (!canOpenBrowser()) {
    process.stderr.write(`Open this URL in a browser to sign in:\n  ${url}\n`);
    return;
  }
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
        : ['xdg-open', [url]];
  await new Promise<void>((resolve) => {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
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
