import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { table } from '@tokensmith/cli/internal/text-table.js';

// Issue #11 item 6: server text (an app token's description, a role name) reaches the terminal
// through the Kaltura commands' tables; escape sequences must not.
describe('text tables', () => {
  it('align columns', () => {
    assert.equal(
      table(
        ['ID', 'NAME'],
        [
          ['1', 'alpha'],
          ['22', 'b'],
        ],
      ),
      'ID  NAME\n1   alpha\n22  b',
    );
  });

  it('strip escape and control sequences from every cell', () => {
    const hostile = 'desc\x1b]0;pwned\x07\x1b[2Jafter\r\nX';
    const out = table(['ID', 'DESCRIPTION'], [['1_x', hostile]]);
    assert.equal(out, 'ID   DESCRIPTION\n1_x  descafter X');
    assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(out));
  });
});
