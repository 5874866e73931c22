import type { ServiceProcess, UnexpectedExit } from './service-process';

/** What happened to a supervised process: it exited without being asked, or it was started again and is ready. */
export type ServiceEvent = {
  service: string;
  kind: 'exited' | 'restarted';
  /** ISO time. */
  at: string;
  code?: number | null;
  signal?: string | null;
  pid?: number;
};

export interface SupervisorOptions {
  say: (line: string) => void;
  /** Restart a process that exited; false only records and reports the exit. */
  restart: boolean;
  /** Before a restart: resolves once the process's ports are free again (rejects if they stay taken). */
  portsFree: (service: ServiceProcess) => Promise<void>;
  /** After anything changed which pid runs (an exit, a restart): e.g. rewrite stack.json. */
  onChange: () => void;
  /** The first restart waits this long, each further one twice as long as the one before. Default 1 s. */
  initialBackoffMs?: number;
  /** Default 30 s. */
  maxBackoffMs?: number;
  /** A process that stayed up this long before it exited starts again from initialBackoffMs. Default 60 s. */
  resetAfterMs?: number;
}

interface Watched {
  /** Restarts since the backoff was last reset. */
  attempts: number;
  timer: NodeJS.Timeout | undefined;
  cancelled: boolean;
}

/**
 * Watches the stack's processes: an unexpected exit is reported at once (name, code or signal,
 * last log lines) and, unless restarts are off, the process is started again after a backoff
 * (1 s, 2 s, 4 s … at most 30 s; back to 1 s once it had stayed up a minute). A process that is
 * being stopped is never restarted: cancel() it first.
 */
export class Supervisor {
  private readonly watched = new Map<ServiceProcess, Watched>();
  private events: ServiceEvent[] = [];

  constructor(private readonly options: SupervisorOptions) {}

  /** Every exit and restart since the last clearEvents(), oldest first. */
  serviceEvents(): ServiceEvent[] {
    return this.events.map((event) => ({ ...event }));
  }

  clearEvents(): void {
    this.events = [];
  }

  /** Starts watching `service`; its options' onUnexpectedExit must call exited(service, …). */
  watch(service: ServiceProcess): void {
    this.watched.set(service, { attempts: 0, timer: undefined, cancelled: false });
  }

  /** Never restarts `service` again (a pending restart is dropped); call before stopping it. */
  cancel(service: ServiceProcess): void {
    const state = this.watched.get(service);
    if (!state) return;
    state.cancelled = true;
    clearTimeout(state.timer);
    this.watched.delete(service);
  }

  cancelAll(): void {
    for (const service of [...this.watched.keys()]) this.cancel(service);
  }

  /** `service` exited without being asked to. */
  exited(service: ServiceProcess, exit: UnexpectedExit): void {
    const name = service.options.name;
    this.record({ service: name, kind: 'exited', code: exit.code, signal: exit.signal, ...(exit.pid !== undefined ? { pid: exit.pid } : {}) });
    const how = exit.signal ? `signal ${exit.signal}` : `code ${String(exit.code)}`;
    const tail = exit.tail.length ? `; last output:\n${exit.tail.slice(-5).map((line) => `    | ${line.length > 200 ? `${line.slice(0, 200)} …` : line}`).join('\n')}` : '; it printed nothing';
    // stack.json first: whoever reads the line can trust the file.
    this.options.onChange();
    this.options.say(`${name} (pid ${exit.pid ?? '?'}) exited unexpectedly with ${how}${tail}`);
    const state = this.watched.get(service);
    if (!state || state.cancelled || !this.options.restart) return;
    if (exit.upMs >= (this.options.resetAfterMs ?? 60_000)) state.attempts = 0;
    this.schedule(service, state);
  }

  private schedule(service: ServiceProcess, state: Watched): void {
    const delay = Math.min((this.options.initialBackoffMs ?? 1_000) * 2 ** state.attempts, this.options.maxBackoffMs ?? 30_000);
    state.attempts += 1;
    this.options.say(`  restarting ${service.options.name} in ${formatMs(delay)} (attempt ${state.attempts})`);
    state.timer = setTimeout(() => void this.restart(service, state), delay);
  }

  private async restart(service: ServiceProcess, state: Watched): Promise<void> {
    state.timer = undefined;
    const name = service.options.name;
    try {
      if (state.cancelled) return;
      await this.options.portsFree(service);
      if (state.cancelled) return;
      await service.start();
    } catch (error) {
      if (state.cancelled) return;
      // It exited (or hung) during start-up: that is another exit, and another try later.
      const failed = service.unexpectedExit;
      this.record({ service: name, kind: 'exited', ...(failed ? { code: failed.code, signal: failed.signal } : {}) });
        this.options.onChange();
      this.options.say(`${name} could not be restarted: ${(error as Error).message}`);
      this.schedule(service, state);
      return;
    }
    if (state.cancelled) {
      // Stopped while it became ready: make sure it does not keep running.
      await service.stop().catch(() => undefined);
      return;
    }
    this.record({ service: name, kind: 'restarted', ...(service.pid !== undefined ? { pid: service.pid } : {}) });
    this.options.onChange();
    this.options.say(`${name} restarted (pid ${service.pid ?? '?'}) and ready`);
  }

  private record(event: Omit<ServiceEvent, 'at'>): void {
    this.events.push({ ...event, at: new Date().toISOString() });
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
