/**
 * A scripted "person" for the emulator's browser pages, so tests and the demo can complete device
 * and browser logins without a human: it follows redirects, keeps cookies, and submits each form it
 * meets with the given credentials. Only for the emulator's own simple pages; not a browser.
 */

/** Credentials the robot types in. */
export interface RobotLogin {
  username: string;
  password: string;
}

/** How the robot answers the pages. */
export interface RobotOptions {
  /**
   * Press "Deny" where a page offers it (the device confirmation), as a person refusing the login
   * would: the device then gets `access_denied`.
   */
  deny?: boolean;
  /** Give up after this many requests (default 20). */
  maxSteps?: number;
}

/** Result of a robot run: the last URL reached and the last page's HTML. */
export interface RobotResult {
  finalUrl: string;
  html: string;
  /** Number of forms submitted. */
  forms: number;
}

/**
 * Visit `startUrl` and submit every form on the way (login, device confirmation) until none is left;
 * with `deny`, refuse at the first page that has a "Deny" button.
 */
export async function completeLogin(
  startUrl: string,
  login: RobotLogin,
  options: RobotOptions = {},
): Promise<RobotResult> {
  const maxSteps = options.maxSteps ?? 20;
  const cookies = new Map<string, string>();
  let url = startUrl;
  let method = 'GET';
  let body: URLSearchParams | undefined;
  let forms = 0;
  let denied = false;
  for (let step = 0; step < maxSteps; step++) {
    const target = new URL(url);
    if (!/^(127\.|\[::1\]|localhost)/.test(target.host)) {
      // A redirect off the machine (our loopback redirect is still loopback): stop here.
      return { finalUrl: url, html: '', forms };
    }
    const response = await fetch(url, {
      method,
      body,
      redirect: 'manual',
      headers: {
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
    });
    for (const c of response.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url).href;
      method = 'GET';
      body = undefined;
      await response.body?.cancel();
      continue;
    }
    const html = await response.text();
    // After a refusal the person is done, whatever page the server shows next.
    if (response.status >= 400 || denied) return { finalUrl: url, html, forms };
    const form =
      /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html) ??
      /<form[^>]*>([\s\S]*?)<\/form>/i.exec(html);
    if (!form || html.includes('id="error"')) return { finalUrl: url, html, forms };
    const action = form.length === 3 ? form[1]! : url;
    const inner = form[form.length - 1]!;
    const fields = new URLSearchParams();
    for (const input of inner.matchAll(/<input([^>]*)>/gi)) {
      const name = /name="([^"]*)"/.exec(input[1]!)?.[1];
      if (!name) continue;
      const value = /value="([^"]*)"/.exec(input[1]!)?.[1] ?? '';
      fields.set(
        name,
        name === 'username' ? login.username : name === 'password' ? login.password : decode(value),
      );
    }
    // A submit button's name and value are sent only when that button is the one pressed.
    const deny = [...inner.matchAll(/<button([^>]*)>/gi)].find((b) => /name="abort"/.test(b[1]!));
    if (options.deny && deny) {
      fields.set('abort', /value="([^"]*)"/.exec(deny[1]!)?.[1] ?? 'yes');
      denied = true;
    }
    url = new URL(decode(action), url).href;
    method = 'POST';
    body = fields;
    forms++;
  }
  throw new Error('robot login did not finish');
}

function decode(s: string): string {
  return s.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
}
