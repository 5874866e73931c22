/**
 * Preloaded (`node -r`) into every process the lab starts. Those processes run in their own
 * process group, so the terminal's Ctrl-C does not reach them; this is what makes sure they do
 * not outlive the lab when it dies without stopping them (SIGKILL, a crash): once the parent is
 * gone (the kernel re-parents the orphan, so `process.ppid` changes) the process sends itself
 * SIGTERM, which runs its usual graceful shutdown, and exits after 10 s if that does not finish.
 * (Nothing is logged: its stdout and stderr were pipes to the lab, now closed.)
 */
const parent = process.ppid;

const watch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(watch);
  setTimeout(() => process.exit(1), 10_000).unref();
  process.kill(process.pid, 'SIGTERM');
}, 500);
watch.unref();
