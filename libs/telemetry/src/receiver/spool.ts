import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Raw request bodies, appended to one file as they arrive (`[u32 length][bytes]` records) and
 * handed back later, in order, by `drain`. The receiver keeps the cost of receipt to one append
 * while load runs, and decodes when the load pauses: on two cores, decoding every batch as it
 * arrived took CPU from the very services it was measuring.
 *
 * `drain` moves the current file aside first (new appends go to a fresh file), so receipt never
 * waits for decoding. A file left by a receiver that was killed is drained at the next start.
 */
export class BatchSpool {
  /** The file appends go to, and its handle (opened on the first append). */
  private current: { name: string; handle: Promise<fs.FileHandle> } | undefined;
  private tail: Promise<void> = Promise.resolve();
  private draining: Promise<number> | undefined;
  private pending = 0;
  /** Files a previous receiver left are picked up by the first drain (which runs before any append). */
  private leftoversTaken = false;

  constructor(private readonly dir: string) {}

  /** Records appended and not yet drained. */
  get size(): number {
    return this.pending;
  }

  /** Appends one body; resolves once it is written to the file. */
  append(body: Buffer): Promise<void> {
    const header = Buffer.alloc(4);
    header.writeUInt32LE(body.length, 0);
    if (!this.current) {
      const name = this.newFileName();
      this.current = { name, handle: fs.mkdir(this.dir, { recursive: true }).then(() => fs.open(path.join(this.dir, name), 'a')) };
    }
    const { handle } = this.current;
    const written = this.tail.then(async () => {
      await (await handle).writev([header, body]);
    });
    this.tail = written.catch(() => undefined);
    this.pending += 1;
    return written;
  }

  /**
   * Hands every record written so far to `each`, oldest first, then deletes it; returns how many
   * there were. A record `each` rejects is passed to `failed` and skipped. Calls do not overlap.
   */
  drain(each: (body: Buffer) => Promise<void>, failed: (error: unknown) => void): Promise<number> {
    const run = (this.draining ?? Promise.resolve(0)).then(() => this.drainOnce(each, failed));
    this.draining = run.catch(() => 0);
    return run;
  }

  /** Closes the current file once its writes are done (its records stay for the next drain); returns its name. */
  async close(): Promise<string | undefined> {
    const current = this.current;
    this.current = undefined; // appends from now on open a new file
    await this.tail;
    if (current) await (await current.handle).close();
    return current?.name;
  }

  private async drainOnce(each: (body: Buffer) => Promise<void>, failed: (error: unknown) => void): Promise<number> {
    this.pending = 0;
    // Only the file just closed: a file appends open meanwhile belongs to the next drain.
    const closed = await this.close();
    let names = closed ? [closed] : [];
    if (!this.leftoversTaken) {
      this.leftoversTaken = true;
      try {
        names = (await fs.readdir(this.dir)).filter((n) => n.endsWith('.spool') && n !== this.current?.name);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    let count = 0;
    for (const name of names.sort()) {
      const file = path.join(this.dir, name);
      let data: Buffer;
      try {
        data = await fs.readFile(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // another receiver on this directory took it
        throw error;
      }
      let at = 0;
      while (at + 4 <= data.length) {
        const length = data.readUInt32LE(at);
        const body = data.subarray(at + 4, at + 4 + length);
        at += 4 + length;
        if (body.length < length) {
          failed(new Error(`${name}: a record cut short (${body.length} of ${length} bytes): the receiver stopped while writing it`));
          break;
        }
        count += 1;
        await each(body).catch(failed);
      }
      if (at < data.length && at + 4 > data.length) failed(new Error(`${name}: ${data.length - at} stray bytes at the end (a record's length cut short)`));
      await fs.rm(file, { force: true });
    }
    return count;
  }

  /** One file per drain interval, named so that sorting keeps them in order. */
  private newFileName(): string {
    BatchSpool.sequence += 1;
    return `${Date.now().toString().padStart(15, '0')}-${process.pid}-${String(BatchSpool.sequence).padStart(6, '0')}.spool`;
  }

  private static sequence = 0;
}
