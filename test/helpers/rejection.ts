import assert from 'node:assert/strict';
import { isTokensmithError, type TokensmithError } from 'tokensmith/internal/core/errors.js';

/** The TokensmithError `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<TokensmithError> {
  const err = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(isTokensmithError(err), String(err));
  return err;
}
