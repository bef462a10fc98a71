import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startKalliopeEmulator } from '@tokensmith/emulators/internal/kalliope/server.js';
import { startKalturaEmulator } from '@tokensmith/emulators/internal/kaltura/server.js';
import { startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { demoKalliopePassword, kalliopeSteps } from './kalliope-steps.js';
import { kalturaSteps } from './kaltura-steps.js';
import { oidcSteps } from './oidc-steps.js';
import type { DemoResult, DemoStep } from './types.js';

/**
 * A tiny protected API on loopback for the authFetch step: it refuses the first bearer token it
 * sees (as an API does with a token revoked early) and accepts the others.
 */
async function startDemoApi() {
  let refused: string | undefined;
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    refused ??= auth;
    const ok = /^Bearer \S+/.test(auth) && auth !== refused;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ ok }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Start the emulators in-process, run every flow, and report each step. */
export async function runDemo(onResult?: (r: DemoResult) => void): Promise<DemoResult[]> {
  const emu = await startOidcEmulator();
  const api = await startDemoApi();
  const kalturaEmu = await startKalturaEmulator();
  const pbxPassword = demoKalliopePassword();
  const kalliopeEmu = await startKalliopeEmulator({
    users: [{ domain: 'default', username: 'demo', password: pbxPassword }],
  });
  const steps: DemoStep[] = [
    ...oidcSteps(emu, api),
    ...kalturaSteps(kalturaEmu),
    ...kalliopeSteps(kalliopeEmu, pbxPassword),
  ];
  const results: DemoResult[] = [];
  try {
    for (const step of steps) {
      const started = performance.now();
      let result: DemoResult;
      try {
        const detail = await step.run();
        result = { step: step.name, ok: true, detail, ms: performance.now() - started };
      } catch (err) {
        const code = (err as { code?: string }).code;
        const message = err instanceof Error ? err.message : String(err);
        result = {
          step: step.name,
          ok: false,
          detail: code ? `${code}: ${message}` : message,
          ms: performance.now() - started,
        };
      }
      results.push(result);
      onResult?.(result);
    }
  } finally {
    await Promise.all([api.close(), emu.close(), kalturaEmu.close(), kalliopeEmu.close()]);
  }
  return results;
}
