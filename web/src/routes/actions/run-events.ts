import type { Run, RunEvent, RunLogLine, RunStatus } from '../../api/actions.ts';
import type { SseMessage } from '../../api/sse.ts';

/**
 * Reads one SSE message of `/runs/{id}/events` as a RunEvent. The stream sends the RunEvent
 * as JSON data; a bare log line or status patch named by the `event:` field is read too.
 */
export function toRunEvent(m: SseMessage, runId: string): RunEvent | null {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(m.data);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null) return null;
  const type = (data.type as string | undefined) ?? m.event;
  if (type === 'log') {
    const raw = (data.line as Record<string, unknown> | undefined) ?? data;
    const seq = Number(raw.seq ?? m.id);
    if (!Number.isFinite(seq) || typeof raw.message !== 'string') return null;
    return {
      type: 'log',
      run: runId,
      line: { seq, at: String(raw.at ?? ''), message: raw.message, level: raw.level as RunLogLine['level'] },
    };
  }
  if (type === 'status' && typeof data.status === 'string') {
    return {
      type: 'status',
      run: runId,
      status: data.status as RunStatus,
      statusLabel: (data.statusLabel as string | null) ?? null,
      link: (data.link as string | null) ?? null,
      summary: (data.summary as string | null) ?? null,
      at: String(data.at ?? ''),
    };
  }
  return null;
}

/** Merges log lines by position: each once, in order, whatever order they arrived in. */
export function mergeLogs(current: RunLogLine[], incoming: RunLogLine[]): RunLogLine[] {
  if (incoming.length === 0) return current;
  const bySeq = new Map(current.map((l) => [l.seq, l]));
  let changed = false;
  for (const l of incoming)
    if (!bySeq.has(l.seq)) {
      bySeq.set(l.seq, l);
      changed = true;
    }
  if (!changed) return current;
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** A run with a status event applied. */
export function applyStatus(run: Run, e: Extract<RunEvent, { type: 'status' }>): Run {
  return {
    ...run,
    status: e.status,
    statusLabel: e.statusLabel ?? run.statusLabel,
    link: e.link ?? run.link,
    summary: e.summary ?? run.summary,
  };
}
