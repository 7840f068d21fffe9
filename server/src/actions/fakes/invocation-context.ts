/**
 * An invocation context for invoker tests without the runs service: a reporter that records
 * what the invoker logs and updates, and lets the test await an update with a deadline.
 */

import { createEgressPolicy, type EgressPolicy } from '@plexus/connector-sdk';
import type { InvokerConfig, RunLogLine, RunStatus } from '@plexus/contract';
import { silentLogger } from '../../log.ts';
import type { InvocationContext, InvocationPayload, RunReporter } from '../types.ts';

/** What a recording reporter saw. */
export interface RecordedReport {
  logs: { message: string; level?: RunLogLine['level'] }[];
  updates: { status?: RunStatus; statusLabel?: string; link?: string; summary?: string }[];
  /** The last status an update set, if any. */
  status(): RunStatus | undefined;
  /** Resolves with the first update (in order) matching `test`, or rejects after `timeoutMs`. */
  waitForUpdate(
    test: (u: RecordedReport['updates'][number]) => boolean,
    timeoutMs?: number,
  ): Promise<RecordedReport['updates'][number]>;
}

/** A reporter recording into a {@link RecordedReport}. */
export function recordingReporter(): RunReporter & { recorded: RecordedReport } {
  const waiters: (() => void)[] = [];
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  const recorded: RecordedReport = {
    logs: [],
    updates: [],
    status: () => [...recorded.updates].reverse().find((u) => u.status)?.status,
    waitForUpdate(test, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no matching update within ${timeoutMs} ms; updates: ${JSON.stringify(recorded.updates)}`,
              ),
            ),
          timeoutMs,
        );
        const check = () => {
          const hit = recorded.updates.find(test);
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          } else waiters.push(check);
        };
        check();
      });
    },
  };
  return {
    recorded,
    async log(message, level) {
      recorded.logs.push({ message, level });
      wake();
    },
    async update(patch) {
      recorded.updates.push({ ...patch });
      wake();
    },
  };
}

/** A payload as the runs service builds it. */
export function testPayload(overrides: Partial<InvocationPayload> = {}): InvocationPayload {
  return {
    run: { id: 'run_test_1', token: 'plx_run_secret', apiUrl: 'http://127.0.0.1:4000/api/v1' },
    action: { identifier: 'deploy', title: 'Deploy', operation: 'DAY-2', blueprint: 'service' },
    entity: null,
    inputs: {},
    trigger: { by: 'jane', at: new Date().toISOString() },
    ...overrides,
  };
}

/** An invocation context for `config`, allowed to reach 127.0.0.1 unless `egress` says otherwise. */
export function testContext<C extends InvokerConfig>(
  config: C,
  options: { payload?: InvocationPayload; egress?: EgressPolicy; signal?: AbortSignal } = {},
): InvocationContext & { config: C; report: ReturnType<typeof recordingReporter> } {
  return {
    payload: options.payload ?? testPayload(),
    config,
    egress: options.egress ?? createEgressPolicy({ allow: ['127.0.0.1'] }),
    logger: silentLogger,
    signal: options.signal ?? new AbortController().signal,
    report: recordingReporter(),
  };
}
