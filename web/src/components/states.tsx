import { For, type JSX, Show } from 'solid-js';
import { ApiError } from '../api/client.ts';

/** A spinner with a line saying what is loading. */
export function Loading(props: { label?: string }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <div class="spinner" />
      <span>{props.label ?? 'Loading…'}</span>
    </div>
  );
}

/** Placeholder rows while a table loads, so the layout does not jump. */
export function SkeletonRows(props: { rows?: number; columns: number }) {
  return (
    <For each={Array.from({ length: props.rows ?? 8 })}>
      {() => (
        <tr>
          <For each={Array.from({ length: props.columns })}>
            {(_, i) => (
              <td>
                <div class="skeleton" style={{ width: `${40 + ((i() * 37) % 50)}%` }} />
              </td>
            )}
          </For>
        </tr>
      )}
    </For>
  );
}

/** Turns any thrown value into a message a person can act on. */
export function describeError(err: unknown): { title: string; message: string; details: string[] } {
  if (err instanceof ApiError) {
    const title =
      err.status === 0
        ? 'Server unreachable'
        : err.status === 403
          ? 'Not allowed'
          : err.status === 404
            ? 'Not found'
            : err.status === 422
              ? 'Not valid'
              : err.status === 409
                ? 'Conflict'
                : err.status >= 500
                  ? 'Server error'
                  : 'Request failed';
    return {
      title,
      message: err.message,
      details: err.details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)),
    };
  }
  return {
    title: 'Something went wrong',
    message: err instanceof Error ? err.message : String(err),
    details: [],
  };
}

/** An error box with the server's message and details, and a retry button when given. */
export function ErrorState(props: { error: unknown; retry?: () => void; compact?: boolean }) {
  const d = () => describeError(props.error);
  return (
    <div class="alert error" role="alert" style={props.compact ? undefined : { margin: 'var(--space-4)' }}>
      <div class="alert-body">
        <strong>{d().title}.</strong> {d().message}
        <Show when={d().details.length > 0}>
          <ul>
            <For each={d().details.slice(0, 8)}>{(line) => <li>{line}</li>}</For>
          </ul>
        </Show>
      </div>
      <Show when={props.retry}>
        <button type="button" class="btn small" onClick={() => props.retry?.()}>
          Retry
        </button>
      </Show>
    </div>
  );
}

/** An empty state: what is missing and what to do about it. */
export function Empty(props: { title: string; children?: JSX.Element; action?: JSX.Element }) {
  return (
    <div class="empty">
      <h3>{props.title}</h3>
      <div>{props.children}</div>
      {props.action}
    </div>
  );
}
