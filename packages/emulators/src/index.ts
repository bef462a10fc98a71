/**
 * Test doubles for the auth servers tokensmith talks to, on loopback with a random port, for your own
 * test suites: an OpenID provider (the real `oidc-provider`, with password, client credentials,
 * refresh with rotation, device and browser logins, token exchange, revocation), Kaltura's api_v3
 * session and app-token services, and a Kalliope PBX's digest check.
 * @packageDocumentation
 */

export type { EmulatorTls } from './https-listener.js';
export type {
  KalliopeEmulator,
  KalliopeEmulatorOptions,
  KalliopeEmulatorStats,
  KalliopeEmulatorUser,
} from './kalliope/server.js';
export { startKalliopeEmulator } from './kalliope/server.js';
export type { KalturaEmulator, KalturaEmulatorOptions, KalturaEmulatorStats } from './kaltura/server.js';
export { startKalturaEmulator } from './kaltura/server.js';
export type { EmulatorUser } from './oidc/grants.js';
export type { RobotLogin, RobotOptions, RobotResult } from './oidc/robot.js';
export { completeLogin } from './oidc/robot.js';
export type { OidcEmulator, OidcEmulatorOptions, OidcEmulatorStats } from './oidc/server.js';
export { startOidcEmulator } from './oidc/server.js';
