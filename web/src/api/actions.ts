/**
 * Actions and runs as the UI sees them (API.md "Actions and runs"). The shapes come from
 * @plexus/contract (contract/actions.ts), which the server uses too, so the two cannot drift apart.
 */
import type { Api } from './client.ts';
import type { components } from './openapi.d.ts';
import { seg } from './client.ts';

export type {
  ActionDefinition,
  ActionInput,
  ActionInputs,
  ActionOperation,
  FieldState,
  FormRules,
  FormScope,
  Run,
  RunApproval,
  RunEvent,
  RunLogLine,
  RunStatus,
} from '@plexus/contract';

import {
  type ActionDefinition,
  type Run,
  type RunLogLine,
  type RunStatus,
  runStatuses,
} from '@plexus/contract';

/** Every run status, in lifecycle order (filters, badges): the server's own list. */
export const allRunStatuses: readonly RunStatus[] = runStatuses;

/** A status after which the run never changes again. */
export const isTerminal = (s: RunStatus) => s !== 'WAITING_FOR_APPROVAL' && s !== 'IN_PROGRESS';

/** Badge tone and words for a status. */
export function statusTone(s: RunStatus): { tone: string; label: string } {
  switch (s) {
    case 'WAITING_FOR_APPROVAL':
      return { tone: 'warning', label: 'Waiting for approval' };
    case 'IN_PROGRESS':
      return { tone: 'info', label: 'In progress' };
    case 'SUCCESS':
      return { tone: 'success', label: 'Success' };
    case 'FAILURE':
      return { tone: 'danger', label: 'Failure' };
    case 'DECLINED':
      return { tone: 'danger', label: 'Declined' };
    case 'CANCELLED':
      return { tone: '', label: 'Cancelled' };
    case 'TIMED_OUT':
      return { tone: 'danger', label: 'Timed out' };
    default:
      return { tone: '', label: String(s) };
  }
}

/** The caller as `GET /api/v1/users/me` answers (what form expressions see as `user`). */
export type Me = components['schemas']['Me'];

/** Lists answer either a bare array or `{ <key>: [...] }`; this reads both. */
function listOf<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) return body as T[];
  const v = (body as Record<string, unknown> | null)?.[key];
  return Array.isArray(v) ? (v as T[]) : [];
}

/** The REST calls of actions and runs, bound to a session's client. */
export function actionsApi(api: Api) {
  return {
    async list(filter: { entity?: string; blueprint?: string; operation?: string } = {}) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
      const qs = q.toString();
      return listOf<ActionDefinition>(await api.get(`/api/v1/actions${qs ? `?${qs}` : ''}`), 'actions');
    },
    get: (id: string) => api.get<ActionDefinition>(`/api/v1/actions/${seg(id)}`),
    create: (body: unknown) => api.post<ActionDefinition>('/api/v1/actions', body),
    replace: (id: string, body: unknown) => api.put<ActionDefinition>(`/api/v1/actions/${seg(id)}`, body),
    remove: (id: string) => api.delete<void>(`/api/v1/actions/${seg(id)}`),
    run: (id: string, body: { entity?: string | null; inputs: Record<string, unknown> }) =>
      api.post<Run>(`/api/v1/actions/${seg(id)}/runs`, body),
    async runs(filter: Record<string, string | number | undefined | null>) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(filter))
        if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
      const body = await api.get<{ runs?: Run[]; next?: string | null }>(`/api/v1/runs?${q}`);
      return { runs: listOf<Run>(body, 'runs'), next: (body as { next?: string | null }).next ?? null };
    },
    getRun: (id: string) => api.get<Run>(`/api/v1/runs/${seg(id)}`),
    async logs(id: string, after: number) {
      const body = await api.get<{ logs: RunLogLine[]; next: number | null }>(
        `/api/v1/runs/${seg(id)}/logs?after=${after}&limit=500`,
      );
      return { logs: body.logs ?? [], next: body.next ?? null };
    },
    approve: (id: string, decision: 'approve' | 'decline', reason?: string) =>
      api.post<Run>(`/api/v1/runs/${seg(id)}/approval`, { decision, ...(reason ? { reason } : {}) }),
    cancel: (id: string) => api.post<Run>(`/api/v1/runs/${seg(id)}/cancel`),
    rerun: (id: string) => api.post<Run>(`/api/v1/runs/${seg(id)}/rerun`),
    me: () => api.get<Me>('/api/v1/users/me'),
  };
}
export type ActionsApi = ReturnType<typeof actionsApi>;
