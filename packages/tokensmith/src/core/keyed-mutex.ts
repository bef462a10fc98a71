/** Serialises async work per key inside one process; callers for other keys are not held up. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Run `fn` after every earlier `run` for the same key has settled. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(fn, fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
