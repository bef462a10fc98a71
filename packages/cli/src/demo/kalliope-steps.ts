import { randomBytes } from 'node:crypto';
import type { KalliopeEmulator } from '@tokensmith/emulators/internal/kalliope/server.js';
import { authFetch } from 'tokensmith/internal/fetch/auth-fetch.js';
import { signer } from 'tokensmith/internal/kalliope/signer.js';
import type { DemoStep } from './types.js';

/** The Kalliope step: signed requests (a fresh digest header each) against the emulator. */
export function kalliopeSteps(emu: KalliopeEmulator, password: string): DemoStep[] {
  return [
    {
      name: 'Kalliope signed requests',
      run: async () => {
        const api = authFetch(signer({ url: `${emu.url}/default`, username: 'demo', password }));
        const n = 20;
        for (let i = 0; i < n; i++) {
          const response = await api(`${emu.url}/rest/account`);
          if (response.status !== 200) throw new Error(`request ${i + 1} answered ${response.status}`);
          await response.arrayBuffer();
        }
        return `${n} requests, each with a fresh nonce: ${emu.stats.accepted} accepted, ${emu.stats.saltRequests} salt fetch`;
      },
    },
  ];
}

/** A password for the demo's Kalliope user, new each run. */
export function demoKalliopePassword(): string {
  return randomBytes(12).toString('base64url');
}
