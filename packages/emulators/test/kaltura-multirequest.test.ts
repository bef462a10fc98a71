/**
 * `POST /api_v3/service/multirequest` as KalturaFrontController::handleMultiRequest runs it: numbered
 * sub-requests, common ks/partnerId/clientTag copied in, results in order with exceptions in place,
 * `{N:result:path}` replaced by the N-th result (1-based, in execution order).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import { emulator } from '../../../test/helpers/kaltura.js';
import { adminKs, exception, post } from './kaltura-wire.js';

const PID = 1234567;
const MR = '/api_v3/service/multirequest';

async function mr(
  emu: Awaited<ReturnType<typeof emulator>>['emu'],
  body: Record<string, unknown> | string,
  type?: string,
) {
  const answer = await post(emu, MR, body, type);
  return JSON.parse(answer.text) as Array<Record<string, unknown>>;
}

describe('multirequest', () => {
  it('widget session + session.get with {1:result:ks}: both results in one round trip', async () => {
    const { emu } = await emulator();
    try {
      const before = emu.stats.requests;
      const [widget, info] = await mr(emu, {
        format: 1,
        1: { service: 'session', action: 'startWidgetSession', widgetId: `_${PID}` },
        2: { service: 'session', action: 'get', ks: '{1:result:ks}' },
      });
      assert.equal(emu.stats.requests - before, 1);
      assert.equal(widget!.objectType, 'KalturaStartWidgetSessionResponse');
      const { validUntil } = kaltura.ks.decode(widget!.ks as string, { adminSecret: emu.adminSecret });
      assert.deepEqual(info, {
        sessionType: '0',
        partnerId: String(PID),
        userId: '0',
        expiry: String(validUntil),
        privileges: 'view:*,widget:1',
        objectType: 'KalturaSessionInfo',
      });
      assert.deepEqual(
        [emu.stats.calls['session.startwidgetsession'], emu.stats.calls['session.get']],
        [1, 1],
      );
      // session.start answers a bare KS string: {1:result} is that string.
      const [ks, admin] = await mr(emu, {
        format: 1,
        1: {
          service: 'session',
          action: 'start',
          secret: emu.adminSecret,
          partnerId: PID,
          type: 2,
          userId: 'ops',
        },
        2: { service: 'session', action: 'get', ks: '{1:result}' },
      });
      assert.equal(typeof ks, 'string');
      assert.deepEqual([admin!.sessionType, admin!.userId], ['2', 'ops']);
    } finally {
      await emu.close();
    }
  });

  it('form fields 1:service, 0-based numbering, the common ks, nested references and exceptions in place', async () => {
    const { emu } = await emulator();
    try {
      const ks = adminKs(emu);
      // Form encoding, as `1:service=...`; the common ks is copied into each sub-request without one.
      const form = new URLSearchParams({
        format: '1',
        ks,
        '1:service': 'appToken',
        '1:action': 'add',
        '1:appToken:objectType': 'KalturaAppToken',
        '1:appToken:sessionUserId': 'mr-user',
        '1:appToken:description': 'made in a multirequest',
        '2:service': 'appToken',
        '2:action': 'list',
        '2:filter:objectType': 'KalturaAppTokenFilter',
        '2:filter:idEqual': '{1:result:id}',
        '3:service': 'appToken',
        '3:action': 'get',
        '3:id': 'prefix-{1:result:description}',
        '4:service': 'appToken',
        '4:action': 'get',
        '4:id': '{2:result:objects:0:id}',
      });
      const [added, listed, missing, got] = await mr(
        emu,
        form.toString(),
        'application/x-www-form-urlencoded',
      );
      assert.equal(added!.description, 'made in a multirequest');
      assert.deepEqual(
        (listed!.objects as Array<{ id: string }>).map((o) => o.id),
        [added!.id],
      );
      assert.deepEqual(
        missing,
        exception(
          'APP_TOKEN_ID_NOT_FOUND',
          'Application token id "prefix-made in a multirequest" not found',
          {
            ID: 'prefix-made in a multirequest',
          },
        ),
      );
      assert.equal(got!.id, added!.id);

      // The Node client numbers from 0; references still count executed requests from 1.
      const zero = await mr(emu, {
        format: 1,
        ks,
        0: { service: 'appToken', action: 'get', id: added!.id },
        1: { service: 'appToken', action: 'get', id: '{1:result:id}' },
      });
      assert.deepEqual(
        zero.map((r) => r.id),
        [added!.id, added!.id],
      );
    } finally {
      await emu.close();
    }
  });

  it('stops at the first gap; a failed result gives empty references; per-request ks wins; XML lists items', async () => {
    const { emu } = await emulator();
    try {
      const gap = await mr(emu, {
        format: 1,
        1: { service: 'session', action: 'startWidgetSession', widgetId: `_${PID}` },
        3: { service: 'session', action: 'startWidgetSession', widgetId: `_${PID}` },
      });
      assert.equal(gap.length, 1);

      const failed = await mr(emu, {
        format: 1,
        ks: 'bm90IGEga3M=',
        1: { service: 'session', action: 'startWidgetSession', widgetId: '_999', ks: '' },
        2: { service: 'session', action: 'get', ks: '{1:result:ks}' },
        3: { service: 'session', action: 'get' },
      });
      assert.deepEqual(
        failed[0],
        exception('INVALID_WIDGET_ID', 'Unknown widget [_999]', { WIDGET_ID: '_999' }),
      );
      assert.deepEqual(failed[1], exception('MISSING_KS', 'Missing KS, session not established'));
      // The common ks reached the third request only.
      assert.equal(failed[2]!.code, 'INVALID_KS');

      const xml = await post(emu, MR, {
        1: { service: 'session', action: 'startWidgetSession', widgetId: `_${PID}` },
        2: { service: 'session', action: 'startWidgetSession', widgetId: '_1' },
      });
      assert.match(
        xml.text,
        /^<\?xml version="1\.0" encoding="utf-8"\?><xml><result><item><objectType>KalturaStartWidgetSessionResponse<\/objectType>.*<\/item><item><error><code>INVALID_WIDGET_ID<\/code>.*<\/error><\/item><\/result><executionTime>[0-9.]+<\/executionTime><\/xml>$/,
      );
    } finally {
      await emu.close();
    }
  });
});
