/**
 * A background pass run at once and then `intervalMs` after each one ends (never two at once), as
 * the services' reconcilers do. A pass that throws is reported to `onError` and the schedule goes
 * on. Timers are unref'd: they never keep a process alive.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopping = false;

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** True once stop() was called: a long pass can check it between steps. */
  get stopped(): boolean {
    return this.stopping;
  }

  /** A pass now, then one every intervalMs; nothing at all when intervalMs is 0. */
  start(): void {
    if (this.intervalMs === 0) return;
    const run = () => {
      this.running = this.pass()
        .catch((error: unknown) => this.onError(error))
        .finally(() => {
          this.running = undefined;
          if (!this.stopping) {
            this.timer = setTimeout(run, this.intervalMs);
            this.timer.unref();
          }
        });
    };
    run();
  }

  /** Stops scheduling passes and waits for the one running, if any. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
