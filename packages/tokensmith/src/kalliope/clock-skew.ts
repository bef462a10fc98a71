/**
 * Clock-skew correction for `Created`: the PBX refuses values more than 5 minutes from its own
 * time, so the offset to the server clock is estimated from the `Date` header of its answers.
 */
import { serverDate } from '../core/http.js';
import { getLogger } from '../core/log.js';

const log = getLogger('kalliope');

/** How far `Created` may be from the PBX clock before the request is refused (manual: 5 minutes). */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * Offsets smaller than this are treated as zero: `Date` has one-second precision, so such
 * estimates are noise, and they are far inside the 5-minute window anyway.
 */
export const SKEW_NOISE_MS = 2000;

/** The estimated offset between the server clock and a local clock. */
export class ClockSkew {
  readonly #now: () => number;
  #offsetMs = 0;

  /** @param now the local clock, epoch ms (default `Date.now`). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Server time minus local time, ms (0 until a sample says otherwise). */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** The local clock corrected to the server's, epoch ms. */
  serverNow(): number {
    return this.#now() + this.#offsetMs;
  }

  /**
   * Take one sample: `serverTime` from a `Date` header, `receivedAt` as the local clock read when
   * the answer arrived, `rttMs` the exchange's round trip. Returns the new offset.
   */
  observe(serverTime: number, receivedAt: number, rttMs = 0): number {
    // Date truncates to the second (+500 ms centres it) and was stamped about half a round trip ago.
    const estimate = serverTime + 500 - (receivedAt - rttMs / 2);
    const offset = Math.abs(estimate) < SKEW_NOISE_MS ? 0 : Math.round(estimate);
    if (Math.abs(offset - this.#offsetMs) >= SKEW_NOISE_MS) {
      const seconds = Math.round(offset / 1000);
      if (Math.abs(offset) > MAX_CLOCK_SKEW_MS) {
        log.warn(`local clock is ${seconds} s off the Kalliope server's; correcting Created`);
      } else {
        log.debug(`clock offset to the Kalliope server is now ${seconds} s`);
      }
    }
    this.#offsetMs = offset;
    return offset;
  }

  /** Take a sample from a response's `Date` header, received just now; ignored when it has none. */
  observeResponse(response: Response): void {
    const serverTime = serverDate(response);
    if (serverTime !== undefined) this.observe(serverTime, this.#now());
  }
}
