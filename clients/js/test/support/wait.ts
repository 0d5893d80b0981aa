// Waiting on things with a deadline, never for a fixed time.

/**
 * Resolves with the first value check returns that is not undefined, asked
 * now and after each notification subscribe delivers; rejects after ms.
 */
export function until<T>(subscribe: (notify: () => void) => () => void, check: () => T | undefined, what: string, ms = 10_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let unsubscribe = () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const probe = (): boolean => {
      let v: T | undefined;
      try {
        v = check();
      } catch (err) {
        clearTimeout(timer);
        unsubscribe();
        reject(err);
        return true;
      }
      if (v === undefined) return false;
      clearTimeout(timer);
      unsubscribe();
      resolve(v);
      return true;
    };
    if (probe()) return;
    unsubscribe = subscribe(() => void probe());
  });
}

/** Rejects after ms unless p settles first. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
