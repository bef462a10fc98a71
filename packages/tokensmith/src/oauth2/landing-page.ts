import type { Credential } from '../core/credential.js';
import { escapeHtml } from '../core/html.js';

/** What the landing page is told about the outcome of a browser login. */
export interface LandingOutcome {
  ok: boolean;
  /** The user, when known (success only). */
  subject?: string;
  /**
   * The credential the login obtained (success only), for a page built from it: for example one that
   * calls your API with `credential.headers` and shows what it answers (a welcome page with version
   * details). The browser and any page it loads see what you put on the page: never the token itself.
   */
  credential?: Credential;
  /** Stable error code (failure only). */
  code?: string;
  /** Human-readable reason, secret-free (failure only). */
  message?: string;
}

/** What the loopback server answers the browser: a page, or a redirect to another page. */
export type LandingResponse = { html: string; status?: number } | { redirect: string };

/**
 * Customises the page the browser shows after the redirect to our loopback server (success or
 * failure). Return HTML, or a redirect (for example to a welcome page of your tool).
 */
export type LandingPage = (outcome: LandingOutcome) => LandingResponse | Promise<LandingResponse>;

/** The built-in page: self-contained, no external resources, closes nothing by itself; never shows a token. */
export const defaultLandingPage: LandingPage = (o) => {
  const title = o.ok ? 'Signed in' : 'Sign-in failed';
  const body = o.ok
    ? `<p id="result" data-ok="true">You are signed in${o.subject ? ` as <b>${escapeHtml(o.subject)}</b>` : ''}. You can close this tab and return to the terminal.</p>`
    : `<p id="result" data-ok="false">tokensmith could not complete the sign-in: <code>${escapeHtml(o.code ?? 'ERR')}</code></p><p>${escapeHtml(o.message ?? '')}</p>`;
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>tokensmith: ${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;color:#222}
h1{color:${o.ok ? '#1a7f37' : '#b42318'}}</style></head><body><h1>${title}</h1>${body}</body></html>`;
  return { html, status: o.ok ? 200 : 400 };
};
