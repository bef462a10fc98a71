/**
 * KS (Kaltura Session) v1 and v2: encode, decode, verify and inspect, exactly as the server's
 * `kSessionBase` builds and parses them. v1 in `v1.ts`, v2 in `v2.ts`, the printable view in `inspect.ts`.
 */
export { decode, peek, verify } from './decode.js';
export { encode } from './encode.js';
export { inspect } from './inspect.js';
export type { DecodedKs, KsDecodeOptions, KsEncodeOptions, KsInspection } from './types.js';
