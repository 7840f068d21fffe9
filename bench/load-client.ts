/**
 * The load generator of the `load` benchmark as a process of its own, so the clients' work
 * (building requests, parsing answers, keeping statistics) does not share the server's event
 * loop and the measurement is of the server. `runLoadInChild` forks this file with tsx's
 * loader; the child gets the options over IPC, runs `runLoadMix` and sends back the report,
 * plus `change` messages when the blueprint change starts and is served (so the parent can
 * measure its own event loop over that window) and `log` lines.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type LoadReport, runLoadMix } from './load-mix.ts';

type MixOptions = Omit<Parameters<typeof runLoadMix>[0], 'log' | 'onChange'>;

/** Messages from the child. */
type ChildMessage =
  | { type: 'log'; msg: string }
  | { type: 'change'; phase: 'start' | 'served' }
  | { type: 'report'; report: LoadReport }
  | { type: 'error'; message: string };

/**
 * Runs the mix in a child process and resolves with its report; `onChange` and `log` are called
 * in this process as the child reports them. The child is killed if this process gives up.
 */
export function runLoadInChild(
  options: MixOptions,
  hooks: { log?: (msg: string) => void; onChange?: (phase: 'start' | 'served') => void } = {},
): Promise<LoadReport> {
  return new Promise((ok, fail) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child'], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    const done = (err: Error | null, report?: LoadReport) => {
      if (settled) return;
      settled = true;
      if (err) {
        child.kill();
        fail(err);
      } else ok(report!);
    };
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'log') hooks.log?.(m.msg);
      else if (m.type === 'change') hooks.onChange?.(m.phase);
      else if (m.type === 'report') done(null, m.report);
      else if (m.type === 'error') done(new Error(`load generator: ${m.message}`));
    });
    child.on('error', (err) => done(err));
    child.on('exit', (code, signal) => {
      if (!settled) done(new Error(`load generator exited (${signal ?? `code ${code}`}) without a report`));
    });
    child.send({ type: 'run', options });
  });
}

if (process.argv.includes('--child') && process.send) {
  const send = (m: ChildMessage) => process.send!(m);
  process.once('message', (m: { type: 'run'; options: MixOptions }) => {
    runLoadMix({
      ...m.options,
      log: (msg) => send({ type: 'log', msg }),
      onChange: (phase) => send({ type: 'change', phase }),
    })
      .then((report) => send({ type: 'report', report }))
      .catch((err: Error) => send({ type: 'error', message: err.stack ?? String(err) }))
      .finally(() => process.disconnect());
  });
}
