import type { startKalturaEmulator } from '@tokensmith/emulators/internal/kaltura/server.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import type { DemoStep } from './types.js';

type KalturaEmulator = Awaited<ReturnType<typeof startKalturaEmulator>>;

/** Demo steps against the Kaltura auth emulator: the seed 001 workflow, then an audit. */
export function kalturaSteps(emu: KalturaEmulator): DemoStep[] {
  const conn = { serviceUrl: emu.url, partnerId: emu.partnerId };
  const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
  const user = 'demo-app@example.test';
  return [
    {
      name: 'Kaltura app-token session',
      run: async () => {
        await admin.addUser({ id: user });
        await admin.addRole({ name: 'Demo read-only', permissionNames: 'CONTENT_MANAGE_BASE' });
        const token = await admin.createAppToken({
          description: 'tokensmith demo',
          hashType: 'SHA256',
          sessionDuration: 3600,
          roleName: 'Demo read-only',
          sessionType: kaltura.SessionType.USER,
          sessionUserId: user,
          uriRestrict: '/api_v3/service/media/*',
          expiry: Math.floor(Date.now() / 1000) + 30 * 86400,
        });
        const manager = new TokenManager(
          kaltura.appTokenSession({
            ...conn,
            appTokenId: token.id,
            appToken: token.token!,
            hashType: 'SHA256',
          }),
        );
        const ks = kaltura.ks.decode((await manager.getCredential()).token, { adminSecret: emu.adminSecret });
        if (ks.userId !== user) throw new Error(`KS user is ${ks.userId}`);
        const minutes = Math.round((ks.validUntil - Date.now() / 1000) / 60);
        return `KS v2 for ${ks.userId}, ${ks.privileges.split(',').find((p) => p.startsWith('setrole'))}, ${minutes} min`;
      },
    },
    {
      name: 'Kaltura app-token audit',
      run: async () => {
        await admin.createAppToken({
          description: 'risky',
          hashType: 'MD5',
          sessionType: kaltura.SessionType.ADMIN,
        });
        const entries = await admin.audit();
        if (entries.length !== 1)
          throw new Error(`expected the 1 risky token of 2 to be flagged, got ${entries.length}`);
        const rules = entries[0]!.findings.map((f) => f.rule);
        return `1 of 2 tokens flagged (${entries[0]!.severity}): ${rules.join(', ')}`;
      },
    },
  ];
}
