import * as oauth from 'oauth4webapi';
import type { Credential } from '../../core/credential.js';
import { isTokensmithError, TokensmithError } from '../../core/errors.js';
import { getLogger } from '../../core/log.js';
import type { AcquireContext } from '../../core/provider.js';
import { registerSecret } from '../../core/redact.js';
import { terminalSafe } from '../../core/terminal-text.js';
import { OAuth2Provider } from '../base-provider.js';
import { toTokensmithError } from '../oauth-error.js';
import { commonTokenParams, type OAuth2CommonOptions } from '../options.js';
import { checkResponse } from '../response-check.js';

const log = getLogger('oauth2');

/**
 * What the user must be shown to approve a device login. The server's text is made terminal-safe
 * (`terminalSafe`: no control characters or escape sequences) before it gets here.
 */
export interface DevicePrompt {
  verificationUri: string;
  verificationUriComplete?: string;
  userCode: string;
  /** Seconds until the code expires (at most {@link MAX_DEVICE_CODE_SECONDS}). */
  expiresIn: number;
  /** Seconds between polls, as clamped to {@link MIN_POLL_INTERVAL_SECONDS}..{@link MAX_POLL_INTERVAL_SECONDS}. */
  interval: number;
}

/** Fastest polling whatever the server announces: once a second (1e-9 s gave 831 polls in 3 s). */
export const MIN_POLL_INTERVAL_SECONDS = 1;
/** Slowest polling, also after `slow_down`: once a minute (3,000,000 s overflowed the timer to 1 ms). */
export const MAX_POLL_INTERVAL_SECONDS = 60;
/** Longest device-code lifetime believed: one hour (RFC 8628 servers use 5 to 30 minutes). */
export const MAX_DEVICE_CODE_SECONDS = 3600;

/** `seconds` kept between the polling bounds; anything not a finite number is the RFC default, 5. */
function pollInterval(seconds: number | undefined): number {
  const s = typeof seconds === 'number' && Number.isFinite(seconds) ? seconds : 5;
  return Math.min(MAX_POLL_INTERVAL_SECONDS, Math.max(MIN_POLL_INTERVAL_SECONDS, s));
}

/** Options of {@link deviceCode}. */
export interface DeviceCodeOptions extends OAuth2CommonOptions {
  /** Show the user where to go and which code to enter (default: a line on stderr). */
  onPrompt?: (prompt: DevicePrompt) => void | Promise<void>;
  /** Called after each poll that found the login still pending (spinners, countdowns). */
  onPending?: (info: { secondsLeft: number; interval: number }) => void;
  /**
   * Called once when polling ends: `approved` before the credential is returned, `failed` when the
   * login was denied, expired or aborted. A screen stops its spinner here, before the caller prints.
   */
  onEnd?: (outcome: 'approved' | 'failed') => void;
  /** Polling interval when the server announces none, seconds (RFC 8628 default: 5; kept within 1..60). */
  defaultInterval?: number;
}

/** Device authorization grant (RFC 8628): the user approves the login on another device. */
export class DeviceCodeProvider extends OAuth2Provider {
  readonly grant = 'device_code';
  readonly interactive = true;
  readonly #options: DeviceCodeOptions;
  /** Number of `slow_down` answers received, for tests and diagnostics. */
  slowDowns = 0;

  constructor(options: DeviceCodeOptions) {
    super(options);
    this.#options = options;
  }

  async acquire(ctx: AcquireContext): Promise<Credential> {
    const as = await this.client.server();
    if (!as.device_authorization_endpoint) {
      throw new TokensmithError('ERR_UNSUPPORTED', 'the server has no device_authorization_endpoint', {
        field: 'device_authorization_endpoint',
      });
    }
    const auth = await this.client.clientAuth();
    const params = commonTokenParams(this.client.options);
    let authorization: oauth.DeviceAuthorizationResponse;
    try {
      const response = await oauth.deviceAuthorizationRequest(as, this.client.client, auth, params, {
        ...this.client.requestOptions(ctx.signal),
      });
      authorization = await oauth.processDeviceAuthorizationResponse(
        as,
        this.client.client,
        await checkResponse(response, 'device'),
      );
    } catch (err) {
      throw toTokensmithError(err, 'device authorization endpoint');
    }
    registerSecret(authorization.device_code, 'transient');
    // The server's words go to a terminal; its numbers to timers.
    const complete = authorization.verification_uri_complete;
    const prompt: DevicePrompt = {
      verificationUri: terminalSafe(authorization.verification_uri).trim(),
      ...(complete === undefined ? {} : { verificationUriComplete: terminalSafe(complete).trim() }),
      userCode: terminalSafe(authorization.user_code).trim(),
      expiresIn: Math.min(authorization.expires_in, MAX_DEVICE_CODE_SECONDS),
      interval: pollInterval(authorization.interval ?? this.#options.defaultInterval),
    };
    await (this.#options.onPrompt ?? defaultPrompt)(prompt);
    let outcome: 'approved' | 'failed' = 'failed';
    try {
      const credential = await this.#poll(authorization, prompt, ctx);
      outcome = 'approved';
      return credential;
    } finally {
      this.#options.onEnd?.(outcome);
    }
  }

  async #poll(
    authorization: oauth.DeviceAuthorizationResponse,
    prompt: DevicePrompt,
    ctx: AcquireContext,
  ): Promise<Credential> {
    let interval = prompt.interval;
    const deadline = Date.now() + prompt.expiresIn * 1000;
    for (;;) {
      await sleep(interval * 1000, ctx.signal);
      if (Date.now() > deadline) {
        throw new TokensmithError(
          'ERR_OAUTH_EXPIRED_TOKEN',
          'the device code expired before the login was approved',
        );
      }
      try {
        const { tokens, timing } = await this.client.exchange(
          (as, auth, opts) =>
            oauth.deviceCodeGrantRequest(as, this.client.client, auth, authorization.device_code, opts),
          (as, response) => oauth.processDeviceCodeResponse(as, this.client.client, response),
          ctx.signal,
        );
        return this.client.toCredential(tokens, timing, { grant: this.grant });
      } catch (err) {
        if (!isTokensmithError(err)) throw err;
        if (err.error === 'authorization_pending') {
          this.#options.onPending?.({ secondsLeft: Math.round((deadline - Date.now()) / 1000), interval });
          continue;
        }
        if (err.error === 'slow_down') {
          // RFC 8628 §3.5: add 5 seconds to this and all later intervals (up to the slowest we poll).
          interval = pollInterval(interval + 5);
          this.slowDowns++;
          log.debug('server asked to slow down', { interval });
          continue;
        }
        throw err;
      }
    }
  }
}

function defaultPrompt(p: DevicePrompt): void {
  const where = p.verificationUriComplete ?? p.verificationUri;
  process.stderr.write(`To sign in, open ${where} and enter the code ${p.userCode}\n`);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new TokensmithError('ERR_ABORTED', 'device login was aborted'));
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new TokensmithError('ERR_ABORTED', 'device login was aborted'));
      },
      { once: true },
    );
  });
}

/** A provider for the device authorization grant. */
export function deviceCode(options: DeviceCodeOptions): DeviceCodeProvider {
  return new DeviceCodeProvider(options);
}
