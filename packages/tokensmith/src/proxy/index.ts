/**
 * Credential-injecting proxy: `proxy.start({ source, upstream })` forwards every request it receives
 * to the upstream with fresh credentials.
 * @module
 */
export type { CredentialSupply, IssuedHeaders } from './credentials.js';
export { HEALTH_PATH, type HealthReport } from './health.js';
export type { ProxyOptions } from './options.js';
export { type ProxyHandle, type ProxyStats, start } from './server.js';
export { closeOnSignals } from './signals.js';
