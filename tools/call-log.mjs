// What a provider emulator was called with, and a way for tests to wait for calls to arrive.

/** `calls` in arrival order; `record(call)` adds one; `waitFor(pred, count)` resolves with the matching calls. */
export function callLog(name) {
  const calls = [];
  const waiters = [];
  return {
    calls,
    record(call) {
      calls.push(call);
      for (const check of [...waiters]) check();
    },
    /** Resolves with the matching calls once `count` calls match `pred`. */
    waitFor(pred, count = 1, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const done = () => {
          waiters.splice(waiters.indexOf(check), 1);
          clearTimeout(timer);
        };
        const check = () => {
          const matching = calls.filter(pred);
          if (matching.length < count) return;
          done();
          resolve(matching);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name}: ${calls.filter(pred).length}/${count} matching calls after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(check);
        check();
      });
    },
  };
}
