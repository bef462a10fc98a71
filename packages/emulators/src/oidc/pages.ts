/**
 * HTML of the emulator's own pages. Self-contained on purpose: oidc-provider's defaults load web
 * fonts from the internet, which a test browser on a closed network must never try.
 */

import { escapeHtml } from 'tokensmith/internal/core/html.js';

/** A minimal page around `body`. */
export function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto}label{display:block;margin:.5rem 0}
input{width:100%;padding:.4rem}button{margin-top:1rem;padding:.5rem 1rem}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/** The login form of an interaction. */
export function loginPage(action: string, clientId: string, error?: string): string {
  return page(
    'Sign in to the tokensmith emulator',
    `<p>Client <code>${escapeHtml(clientId)}</code> asks you to sign in.</p>
${error ? `<p id="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}" id="login">
<label>Username <input name="username" id="username" autocomplete="username" required></label>
<label>Password <input name="password" id="password" type="password" autocomplete="current-password" required></label>
<button type="submit" id="submit">Sign in</button></form>`,
  );
}

/** Device flow: the page where the user types the code. */
export function userCodeInputPage(form: string, error?: string): string {
  return page(
    'Enter your device code',
    `${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}${form.replace(
      '</form>',
      '<input type="text" name="user_code" id="user_code"><button type="submit">Continue</button></form>',
    )}`,
  );
}

/** Device flow: confirm the code shown on the device. */
export function userCodeConfirmPage(form: string, userCode: string): string {
  return page(
    'Confirm device sign-in',
    `<p>Is this the code shown on your device? <code id="user_code">${escapeHtml(userCode)}</code></p>${form.replace(
      '</form>',
      '<input type="hidden" name="confirm" value="yes"><button type="submit" id="confirm">Continue</button> <button type="submit" name="abort" value="yes" id="deny">Deny</button></form>',
    )}`,
  );
}

/** Device flow: the end page. */
export function deviceSuccessPage(): string {
  return page('Device signed in', '<p id="done">You can return to your device.</p>');
}

/** Device flow: the end page after "Deny". */
export function deviceDeniedPage(): string {
  return page('Device sign-in denied', '<p id="denied">The device was not signed in.</p>');
}

/** Error page (no server internals, no token values). */
export function errorPage(error: string, description?: string): string {
  return page(
    'Sign-in error',
    `<p id="error">${escapeHtml(error)}</p>${description ? `<p>${escapeHtml(description)}</p>` : ''}`,
  );
}
