import type { Clock } from '../../src/driver/executors/executor';

/**
 * A virtual clock for the executors: time stands still while anything can run and jumps to the
 * next timer when nothing can, so a 10-minute schedule runs in milliseconds and every start time
 * is exact.
 */
export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly timers: { at: number; seq: number; fire: () => void }[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const onAbort = (): void => {
        this.timers.splice(this.timers.indexOf(timer), 1);
        resolve();
      };
      const timer = {
        at: this.t + ms,
        seq: this.seq++,
        fire: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Drives `work` to its end; `onTimer` runs at each time step, before the timer fires. */
  async run<T>(work: Promise<T>, onTimer?: (t: number) => void): Promise<T> {
    let settled = false;
    work.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve)); // every promise chain runs to its next wait
      if (settled) return work;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (!next) throw new Error(`nothing left to wait for at ${this.t} ms, and the work is not done`);
      this.t = Math.max(this.t, next.at);
      onTimer?.(this.t);
      next.fire();
    }
  }
}
