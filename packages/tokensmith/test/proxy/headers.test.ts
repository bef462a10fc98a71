import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientResponseHeaders } from 'tokensmith/internal/proxy/headers.js';

/** Raw response headers as undici hands them over: names and values as bytes, in order. */
const raw = (...pairs: string[]) => pairs.map((s) => Buffer.from(s, 'latin1'));

describe('clientResponseHeaders (upstream answer → client)', () => {
  it('drops Connection: keep-alive and Keep-Alive, keeps the rest in order, duplicates included', () => {
    const out = clientResponseHeaders(
      raw(
        'Content-Type',
        'application/json',
        'Connection',
        'keep-alive',
        'Keep-Alive',
        'timeout=5',
        'Set-Cookie',
        'a=1',
        'Set-Cookie',
        'b=2',
        'Content-Length',
        '2',
      ),
    );
    assert.deepEqual(out, [
      'Content-Type',
      'application/json',
      'Set-Cookie',
      'a=1',
      'Set-Cookie',
      'b=2',
      'Content-Length',
      '2',
    ]);
  });

  it('drops Connection: close', () => {
    assert.deepEqual(clientResponseHeaders(raw('Connection', 'close', 'X-A', '1')), ['X-A', '1']);
  });

  it('drops the headers a Connection value names, whatever their case, next to close and keep-alive', () => {
    const out = clientResponseHeaders(
      raw(
        'X-Hop',
        'secret',
        'Connection',
        'close, X-HOP',
        'x-kept',
        'yes',
        'Connection',
        'Keep-Alive, x-other',
        'X-Other',
        'o',
      ),
    );
    assert.deepEqual(out, ['x-kept', 'yes']);
  });

  it('keeps every byte of a value (latin1 in, latin1 out)', () => {
    const out = clientResponseHeaders([Buffer.from('X-Bytes'), Buffer.from([0x61, 0xe9, 0xff])]);
    assert.deepEqual(out, ['X-Bytes', 'a\u00e9\u00ff']);
  });
});
