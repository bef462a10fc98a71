/**
 * {@link tlsFetch} with its module (and `node:tls`, a few ms to load) imported on the first
 * request: a CLI run answered from the cache sends none and loads neither.
 * @module
 */
import type { FetchLike } from './http.js';
import type { TlsOptions } from './tls.js';

/** Same as `tlsFetch(options)` from tls.ts, loaded when first used. */
export function lazyTlsFetch(options: TlsOptions | (() => Promise<TlsOptions>)): FetchLike {
  let made: Promise<FetchLike> | undefined;
  return async (input, init) => {
    made ??= import('./tls.js').then((m) => m.tlsFetch(options));
    return (await made)(input, init);
  };
}
