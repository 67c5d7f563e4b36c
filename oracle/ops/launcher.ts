/**
 * `npx poq worker &` then `kill $!`: the signal reaches npm, which passes it to the `sh -c`
 * it runs the command in; the shell dies of it without passing it on, and this process is
 * re-parented (to PID 1 or a subreaper) and keeps running. Started by npm (npx, npm exec,
 * npm run), a poq process therefore treats the loss of its parent as the signal the launcher
 * did not hand on: it sends itself SIGTERM, which a worker answers with its graceful stop
 * (jobs in flight finish) and every other command by ending. The same when bin/poq.mjs
 * re-ran the command on the bundled Node (POQ_LAUNCHED_BY) and that launcher is killed.
 */
export function followLauncher(o: { env?: NodeJS.ProcessEnv; intervalMs?: number; onLost?: () => void } = {}): () => void {
  const env = o.env ?? process.env;
  if (!env.npm_execpath && !env.npm_command && !env.POQ_LAUNCHED_BY) return () => undefined; // not started by npm: a plain `kill` reaches this process
  const parent = process.ppid;
  const onLost = o.onLost ?? (() => process.kill(process.pid, "SIGTERM"));
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onLost();
  }, o.intervalMs ?? 500);
  timer.unref();
  return () => clearInterval(timer);
}
