import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redact } from 'tokensmith/internal/core/redact.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import { emulator, failure } from '../../../../test/helpers/kaltura.js';

const PID = 1234567;

describe('KalturaClient.multirequest', () => {
  it('widget session + session.get with a {1:result:ks} reference: both results, one round trip', async () => {
    const { emu, conn } = await emulator();
    const sent: Array<{ url: string; body: Record<string, unknown> }> = [];
    try {
      const client = new kaltura.KalturaClient({
        ...conn,
        fetch: async (input, init) => {
          sent.push({ url: String(input), body: JSON.parse(String(init?.body)) });
          return fetch(input, init);
        },
      });
      const before = emu.stats.requests;
      const res = await client.multirequest([
        kaltura.kalturaCall<{ ks: string; partnerId: number; userId: number }>(
          'session',
          'startWidgetSession',
          {
            widgetId: `_${PID}`,
            expiry: 60,
          },
        ),
        kaltura.kalturaCall('session', 'get', {}, { ks: kaltura.resultRef(1, 'ks') }),
        kaltura.kalturaCall('appToken', 'get', { id: '0_nothere' }, { ks: kaltura.resultRef(1, 'ks') }),
      ]);
      assert.equal(emu.stats.requests - before, 1);
      const [widget, info, forbidden] = res.result;
      assert.ok(!(widget instanceof kaltura.KalturaApiException));
      assert.equal(widget.partnerId, PID);
      const { validUntil } = kaltura.ks.decode(widget.ks, { adminSecret: emu.adminSecret });
      assert.deepEqual(info, {
        sessionType: '0',
        partnerId: String(PID),
        userId: '0',
        expiry: String(validUntil),
        privileges: 'view:*,widget:1',
        objectType: 'KalturaSessionInfo',
      });
      // An exception stays in its place; the other results are kept.
      assert.ok(forbidden instanceof kaltura.KalturaApiException);
      assert.deepEqual(
        [forbidden.code, forbidden.message, forbidden.args],
        [
          'SERVICE_FORBIDDEN',
          'The access to service [apptoken->get] is forbidden',
          { SERVICE: 'apptoken->get' },
        ],
      );
      const err = forbidden.toError();
      assert.deepEqual(
        [err.code, err.vendorCode, err.message],
        [
          'ERR_KALTURA_API',
          'SERVICE_FORBIDDEN',
          'Kaltura appToken.get failed: SERVICE_FORBIDDEN: The access to service [apptoken->get] is forbidden',
        ],
      );
      // The wire form: sub-requests numbered from 1, as the references count.
      assert.equal(sent[0]!.url, `${emu.url}/api_v3/service/multirequest`);
      assert.deepEqual(sent[0]!.body, {
        format: 1,
        apiVersion: kaltura.KALTURA_API_VERSION,
        clientTag: 'tokensmith',
        1: { service: 'session', action: 'startWidgetSession', widgetId: `_${PID}`, expiry: 60 },
        2: { service: 'session', action: 'get', ks: '{1:result:ks}' },
        3: { service: 'appToken', action: 'get', id: '0_nothere', ks: '{1:result:ks}' },
      });
      // A KS that came back in a result is a secret from then on.
      assert.equal(redact(`ks=${widget.ks}`).includes(widget.ks), false);
    } finally {
      await emu.close();
    }
  });

  it('a parse function checks its result; the common ks goes to every call; refs are checked', async () => {
    const { emu, conn } = await emulator();
    try {
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      const t = await admin.createAppToken({ sessionUserId: 'mr', description: 'one' });
      const ks = kaltura.ks.encode({ adminSecret: emu.adminSecret, partnerId: PID, type: 2 });
      const client = new kaltura.KalturaClient(conn);
      const { result } = await client.multirequest(
        [
          kaltura.kalturaCall('appToken', 'get', { id: t.id }, { parse: (raw) => kaltura.toAppToken(raw) }),
          kaltura.kalturaCall(
            'appToken',
            'update',
            {
              id: kaltura.resultRef(1, 'id'),
              appToken: { objectType: 'KalturaAppToken', description: 'two' },
            },
            { parse: (raw) => kaltura.toAppToken(raw) },
          ),
        ],
        { ks },
      );
      const [got, updated] = result;
      assert.ok(
        !(got instanceof kaltura.KalturaApiException) && !(updated instanceof kaltura.KalturaApiException),
      );
      assert.deepEqual(
        [got.id, got.description, updated.id, updated.description],
        [t.id, 'one', t.id, 'two'],
      );
      assert.throws(() => kaltura.resultRef(0, 'ks'), { code: 'ERR_CONFIG_INVALID' });
      await assert.rejects(client.multirequest([]), { code: 'ERR_CONFIG_INVALID' });
      const bad = await failure(
        client.multirequest(
          [
            kaltura.kalturaCall(
              'appToken',
              'get',
              { id: t.id },
              {
                parse: () => {
                  throw new Error('not what I expected');
                },
              },
            ),
          ],
          { ks },
        ),
      );
      assert.equal(bad.message, 'not what I expected');
    } finally {
      await emu.close();
    }
  });
});

describe('multirequest where it saves round trips', () => {
  it('listAppTokens fetches the pages after the first in one multirequest', async () => {
    const { emu, conn } = await emulator();
    try {
      const admin = kaltura.admin({ ...conn, adminSecret: emu.adminSecret });
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) ids.push((await admin.createAppToken({ sessionUserId: 'pager' })).id);
      const before = emu.stats.requests;
      const callsBefore = emu.stats.calls['apptoken.list'] ?? 0;
      const all = await admin.listAppTokens({ pageSize: 3 });
      assert.deepEqual(
        all.map((t) => t.id),
        ids,
      );
      // Page 1 alone (it tells the total), then pages 2-4 in one multirequest.
      assert.equal(emu.stats.requests - before, 2);
      assert.equal(emu.stats.calls['apptoken.list']! - callsBefore, 4);
    } finally {
      await emu.close();
    }
  });
});
