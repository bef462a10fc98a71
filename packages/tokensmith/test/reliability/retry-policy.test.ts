import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isTokensmithError } from 'tokensmith/internal/core/errors.js';
import { createHttpClient } from 'tokensmith/internal/core/http.js';
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter, retryPolicy } from 'tokensmith/internal/core/retry.js';
import { captureLogs } from './fixture.js';

describe('retry policy', () => {
  let logs: ReturnType<typeof captureLogs>;
  before(() => {
    logs = captureLogs();
  });
  after(() => logs.stop());

  it('defaults: 3 attempts, 429/500/502/503/504, timeouts not retried, 30 s Retry-After cap', () => {
    const p = retryPolicy(undefined);
    assert.equal(p.attempts, 3);
    assert.deepEqual([...p.statuses], [429, 500, 502, 503, 504]);
    assert.equal(p.retryOnTimeout, false);
    assert.equal(p.maxRetryAfterMs, 30_000);
    assert.equal(retryPolicy(false).attempts, 1);
    assert.deepEqual(retryPolicy(true), DEFAULT_RETRY);
    assert.equal(retryPolicy({ attempts: 5, baseDelayMs: undefined }).baseDelayMs, DEFAULT_RETRY.baseDelayMs);
  });

  it('refuses nonsense options with ERR_CONFIG_INVALID', () => {
    for (const bad of [
      { attempts: 0 },
      { attempts: 1.5 },
      { baseDelayMs: -1 },
      { jitter: Number.NaN },
      { budgetMs: -5 },
    ]) {
      assert.throws(
        () => retryPolicy(bad),
        (e: unknown) => isTokensmithError(e, 'ERR_CONFIG_INVALID'),
      );
    }
  });

  it('backoff doubles, is capped, and jitter only adds', () => {
    const p = retryPolicy({ baseDelayMs: 100, maxDelayMs: 300, jitter: 0.5 });
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => backoffDelay(p, n, () => 0)),
      [100, 200, 300, 300],
    );
    assert.deepEqual(
      [1, 2, 3].map((n) => backoffDelay(p, n, () => 0.999)),
      [150, 300, 450],
    );
  });

  it('Retry-After: delay-seconds, an HTTP date against the server clock, garbage ignored', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('7', now), 7000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now), 0, 'a past date means now');
    for (const junk of [null, undefined, '', 'soon', '-3', '1.5e3x'])
      assert.equal(parseRetryAfter(junk, now), undefined);
  });

  it('aborting while waiting to retry gives ERR_ABORTED at once', async () => {
    const http = createHttpClient({
      fetch: async () => new Response('', { status: 503 }),
      retry: { baseDelayMs: 10_000, jitter: 0 },
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const started = performance.now();
    await assert.rejects(
      http('http://127.0.0.1:1/token', { method: 'POST', body: 'a=b', signal: controller.signal }),
      (e) => isTokensmithError(e, 'ERR_ABORTED'),
    );
    assert.ok(performance.now() - started < 5_000);
  });

  it('a streamed body cannot be sent again, so it is not retried', async () => {
    let calls = 0;
    const http = createHttpClient({
      fetch: async () => {
        calls++;
        return new Response('', { status: 503 });
      },
      retry: { baseDelayMs: 1 },
    });
    const body = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('a=b'));
        c.close();
      },
    });
    const response = await http('http://127.0.0.1:1/token', {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit);
    assert.equal(response.status, 503);
    assert.equal(calls, 1);
  });

  it('without the retry option, createHttpClient makes one attempt (Kaltura and Kalliope keep their behaviour)', async () => {
    let calls = 0;
    const http = createHttpClient({
      fetch: async () => {
        calls++;
        return new Response('', { status: 503 });
      },
    });
    assert.equal((await http('http://127.0.0.1:1/x')).status, 503);
    assert.equal(calls, 1);
  });
});
