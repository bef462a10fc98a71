import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDACTED, redact, registerSecret } from 'tokensmith/internal/core/redact.js';

describe('redact: registered secrets', () => {
  it('masks every occurrence, the longest registered value first, and percent-encoded forms', () => {
    registerSecret('Qm9vb1');
    registerSecret('Qm9vb1-longer-Zx');
    registerSecret('pa ss/wörd');
    assert.equal(redact('a Qm9vb1-longer-Zx b Qm9vb1 c'), `a ${REDACTED} b ${REDACTED} c`);
    assert.equal(redact('p=pa%20ss%2Fw%C3%B6rd&q=pa+ss%2Fw%C3%B6rd'), `p=${REDACTED}&q=${REDACTED}`);
    assert.equal(redact('Qm9v is too short to match'), 'Qm9v is too short to match');
  });

  it('keeps a pinned secret through any amount of token churn, and evicts the oldest tokens', () => {
    registerSecret('client-secret-pinned-77');
    registerSecret('oldest-transient-token-0', 'transient');
    for (let i = 0; i < 10_000; i++) registerSecret(`churn-token-${i}-xyz`, 'transient');
    assert.equal(redact('client-secret-pinned-77'), REDACTED);
    assert.equal(redact('churn-token-9999-xyz'), REDACTED);
    assert.equal(redact('oldest-transient-token-0'), 'oldest-transient-token-0', 'evicted past the cap');
  });

  it('a value registered as transient and then pinned is never evicted', () => {
    registerSecret('promoted-secret-value', 'transient');
    registerSecret('promoted-secret-value');
    for (let i = 0; i < 5_000; i++) registerSecret(`more-churn-${i}-abc`, 'transient');
    assert.equal(redact('x promoted-secret-value y'), `x ${REDACTED} y`);
  });
});
