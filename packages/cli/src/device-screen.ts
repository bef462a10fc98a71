import { terminalSafe } from 'tokensmith/internal/core/terminal-text.js';
import type { InteractiveHooks } from './config/build-source.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** The device-login screen on stderr, and the hooks that drive it. */
export interface DeviceScreen extends Required<Pick<InteractiveHooks, 'onDevicePrompt' | 'onDeviceEnd'>> {
  /** Stop the spinner and print how the login ended; only the first call prints. */
  stop(outcome: 'ok' | 'failed'): void;
}

/** Options of {@link deviceScreen}. */
export interface DeviceScreenOptions {
  stream?: NodeJS.WriteStream;
  /** Bold and colour allowed (TTY without `NO_COLOR`). */
  color?: boolean;
}

/**
 * What a person needs to approve a device login: the URL and code, a QR code and a spinner with a
 * countdown when stderr is a terminal, plain lines otherwise (logs, CI). stdout stays untouched so
 * `$(tokensmith token)` still captures only the token. What the server sent is printed through
 * `terminalSafe`, whoever called the hook, so its escape sequences never reach the terminal.
 */
export function deviceScreen(options: DeviceScreenOptions = {}): DeviceScreen {
  const stream = options.stream ?? process.stderr;
  const tty = !!stream.isTTY;
  const color = options.color ?? (tty && !process.env.NO_COLOR);
  const bold = (s: string) => (color ? `\x1b[1m${s}\x1b[0m` : s);
  let timer: NodeJS.Timeout | undefined;
  let deadline = 0;
  let frame = 0;

  const render = () => {
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    const clock = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
    stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} Waiting for approval… ${clock} left`);
  };

  const stop = (outcome: 'ok' | 'failed') => {
    if (timer) {
      clearInterval(timer);
      timer = undefined;
      stream.write('\r\x1b[2K');
    }
    if (deadline) stream.write(outcome === 'ok' ? '✔ Approved.\n' : '✖ Login did not complete.\n');
    deadline = 0;
  };

  return {
    async onDevicePrompt(prompt) {
      const uri = terminalSafe(prompt.verificationUri);
      const complete =
        prompt.verificationUriComplete === undefined
          ? undefined
          : terminalSafe(prompt.verificationUriComplete);
      const userCode = terminalSafe(prompt.userCode);
      // Bounded, so the countdown never shows "Infinity:NaN".
      const expiresIn = Number.isFinite(prompt.expiresIn)
        ? Math.max(0, Math.min(prompt.expiresIn, 86_400))
        : 0;
      // The countdown runs from the code's expiry, so polls need no hook of their own.
      deadline = Date.now() + expiresIn * 1000;
      const lines = ['', `To sign in, open ${bold(uri)}`, `and enter the code ${bold(userCode)}`];
      if (complete) lines.push(`(or open ${complete})`);
      stream.write(`${lines.join('\n')}\n`);
      if (!tty) {
        stream.write(`Waiting for approval (the code expires in ${Math.round(expiresIn)} s)…\n`);
        return;
      }
      const { default: qrcode } = await import('qrcode');
      // The terminal renderer paints black on white (scannable on dark themes) but uses colour
      // escapes; with NO_COLOR the plain UTF-8 half-block renderer is used instead. `small` is
      // supported by the terminal renderer but missing from qrcode's types.
      const qr = await qrcode.toString(
        complete ?? uri,
        (color ? { type: 'terminal', small: true } : { type: 'utf8' }) as never,
      );
      stream.write(`${qr}\n`);
      render();
      timer = setInterval(render, 100);
      timer.unref();
    },
    // The grant reports the end before the command prints anything, so no output lands on the spinner line.
    onDeviceEnd: (outcome) => stop(outcome === 'approved' ? 'ok' : 'failed'),
    stop,
  };
}
