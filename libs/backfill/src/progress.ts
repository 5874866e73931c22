/**
 * A one-line progress bar with rate and ETA on a terminal; on a pipe or file, a plain line
 * every 10 % so logs stay readable. The backfill's copy and verification use it, and so do the
 * lab's other long steps (the seed, the storage benchmark's loads).
 */
export class ProgressBar {
  private readonly startedAt = Date.now();
  private lastDecile = -1;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number): void {
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const elapsedS = (Date.now() - this.startedAt) / 1000;
    const rate = elapsedS > 0 ? done / elapsedS : 0;
    const etaS = rate > 0 ? (this.total - done) / rate : Infinity;
    const figures = `${fmt(done)}/${fmt(this.total)}  ${fmt(Math.round(rate))}/s  ETA ${Number.isFinite(etaS) ? `${Math.ceil(etaS)}s` : '?'}`;
    if (this.stream.isTTY) {
      const width = 24;
      const filled = Math.round(fraction * width);
      this.stream.write(`\r${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${figures}\x1b[K`);
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile !== this.lastDecile) {
      this.lastDecile = decile;
      this.stream.write(`${this.label}: ${(fraction * 100).toFixed(0)}%  ${figures}\n`);
    }
  }

  done(summary: string): void {
    if (this.stream.isTTY) this.stream.write('\r\x1b[K');
    this.stream.write(`${this.label}: ${summary}\n`);
  }
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
