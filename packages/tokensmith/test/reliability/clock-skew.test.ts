import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { captureLogs, type Rig, startRig } from './fixture.js';

/** The emulator's access token lifetime (Keycloak's default). */
const LIFETIME_MS = 300_000;

describe('a server clock that is wrong does not change the expiry', () => {
  let rig: Rig;
  let logs: ReturnType<typeof captureLogs>;
  before(async () => {
    rig = await startRig();
    logs = captureLogs();
  });
  after(async () => {
    logs.stop();
    await rig.close();
  });

  for (const minutes of [10, -10]) {
    it(`server Date ${minutes > 0 ? 'ahead' : 'behind'} by ${Math.abs(minutes)} minutes: expiresAt is local now + expires_in`, async () => {
      rig.reset();
      rig.fault.script([], { kind: 'skew-date', minutes });
      const m = new TokenManager(oauth2.clientCredentials(rig.options()));
      const before = Date.now();
      const credential = await m.getCredential();
      const after = Date.now();
      // expires_in counts from the answer; it is counted from the request, so a little early, never late.
      assert.ok(credential.expiresAt! >= before + LIFETIME_MS, 'not shortened by the skew');
      assert.ok(credential.expiresAt! <= after + LIFETIME_MS, 'not lengthened by the skew');
      // The skew is measured and kept for display (`status`), to within the Date header's one second.
      const skew = Number(credential.meta.clockSkewMs);
      assert.ok(Math.abs(skew - minutes * 60_000) < 2_000, `measured skew ${skew} ms`);
      // Still fresh: the next call is served from memory, with no new token request.
      await m.getCredential();
      assert.equal(m.lastSource, 'memory');
      assert.equal(rig.emu.stats.tokenRequests, 1);
    });
  }
});
