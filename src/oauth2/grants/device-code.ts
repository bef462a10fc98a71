import * as oauth from 'oauth4webapi';
import type { Credential } from '../../core/credential.js';
import { isTokensmithError, TokensmithError } from '../../core/errors.js';
import { getLogger } from '../../core/log.js';
import type { AcquireContext } from '../../core/provider.js';
import { registerSecret } from '../../core/redact.js';
import { OAuth2Provider } from '../base-provider.js';
import { toTokensmithError } from '../oauth-error.js';
import { commonTokenParams, type OAuth2CommonOptions } from '../options.js';
import { checkResponse } from '../response-check.js';

const log = getLogger('oauth2');

/** What the user must be shown to approve a device login. */
export interface DevicePrompt {
  verificationUri: string;
  verificationUriComplete?: string;
  userCode: string;
  /** Seconds until the code expires. */
  expiresIn: number;
}

/** Options of {@link deviceCode}. */
export interface DeviceCodeOptions extends OAuth2CommonOptions {
  /** Show the user where to go and which code to enter (default: a line on stderr). */
  onPrompt?: (prompt: DevicePrompt) => void | Promise<void>;
  /** Called after each poll that found the login still pending (spinners, countdowns). */
  onPending?: (info: { secondsLeft: number; interval: number }) => void;
  /** Polling interval when the server announces none, seconds (RFC 8628 default: 5). */
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
    const prompt: DevicePrompt = {
      verificationUri: authorization.verification_uri,
      verificationUriComplete: authorization.verification_uri_complete,
      userCode: authorization.user_code,
      expiresIn: authorization.expires_in,
    };
    await (this.#options.onPrompt ?? defaultPrompt)(prompt);
    return this.#poll(authorization, ctx);
  }

  async #poll(authorization: oauth.DeviceAuthorizationResponse, ctx: AcquireContext): Promise<Credential> {
    let interval = authorization.interval ?? this.#options.defaultInterval ?? 5;
    const deadline = Date.now() + authorization.expires_in * 1000;
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
          // RFC 8628 §3.5: add 5 seconds to this and all later intervals.
          interval += 5;
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
