import { For, type JSX, Match, Switch } from 'solid-js';
import type { PropertySchema } from '../api/types.ts';
import { Markdown } from './markdown.tsx';

const tones = ['accent', 'success', 'info', 'warning', 'danger'] as const;
const toneWords: Record<string, (typeof tones)[number]> = {
  production: 'danger',
  prod: 'danger',
  critical: 'danger',
  high: 'warning',
  medium: 'info',
  low: 'success',
  active: 'success',
  healthy: 'success',
  resolved: 'success',
  ok: 'success',
  passing: 'success',
  success: 'success',
  deprecated: 'warning',
  experimental: 'info',
  triggered: 'danger',
  acknowledged: 'warning',
  failed: 'danger',
  failure: 'danger',
};

/** Tone of an enum badge: meaningful words get their colour; others a stable one by position. */
export function enumTone(schema: PropertySchema | undefined, value: unknown): string {
  const word = String(value).toLowerCase();
  if (toneWords[word]) return toneWords[word];
  const i = schema?.enum?.indexOf(value) ?? -1;
  return i >= 0 ? tones[i % tones.length] : 'accent';
}

/** Formats an ISO date-time in the reader's locale, with the relative age ("3 days ago"). */
export function formatDate(value: string): { text: string; relative: string } {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return { text: value, relative: '' };
  const text = d.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
  const seconds = (d.getTime() - Date.now()) / 1000;
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['year', 31536000],
    ['month', 2592000],
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
    ['second', 1],
  ];
  const [unit, size] = units.find(([, s]) => Math.abs(seconds) >= s) ?? ['second', 1];
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }).format(
    Math.round(seconds / size),
    unit,
  );
  return { text, relative };
}

function safeUrl(value: string): string | null {
  try {
    const u = new URL(value);
    // Only web links: a javascript: URL in catalog data must not become clickable.
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/**
 * A property value rendered by its schema: links for urls and emails, markdown, dates with
 * their age, enums as badges, booleans, arrays as lists, objects as JSON.
 * `compact` keeps table cells to one line (markdown shown as plain text).
 */
export function PropertyValue(props: {
  schema?: PropertySchema;
  value: unknown;
  compact?: boolean;
}): JSX.Element {
  const s = () => props.schema;
  const v = () => props.value;
  return (
    <Switch fallback={<span>{String(v())}</span>}>
      <Match when={v() === null || v() === undefined || v() === ''}>
        <span class="faint">—</span>
      </Match>
      <Match when={Array.isArray(v())}>
        <span class="row" style={{ gap: '4px' }}>
          <For each={v() as unknown[]}>
            {(item) =>
              s()?.items?.enum ? (
                <span class={`badge ${enumTone({ type: 'string', enum: s()?.items?.enum }, item)}`}>
                  {String(item)}
                </span>
              ) : (
                <span class="badge">{String(item)}</span>
              )
            }
          </For>
        </span>
      </Match>
      <Match when={s()?.enum}>
        <span class={`badge ${enumTone(s(), v())}`}>{String(v())}</span>
      </Match>
      <Match when={s()?.type === 'boolean'}>
        <span class={`badge ${v() ? 'success' : ''}`}>{v() ? 'Yes' : 'No'}</span>
      </Match>
      <Match when={s()?.format === 'url' && safeUrl(String(v()))}>
        <a
          href={safeUrl(String(v()))!}
          target="_blank"
          rel="noopener noreferrer"
          class={props.compact ? 'truncate' : undefined}
        >
          {String(v()).replace(/^https?:\/\//, '')} ↗
        </a>
      </Match>
      <Match when={s()?.format === 'email'}>
        <a href={`mailto:${String(v())}`}>{String(v())}</a>
      </Match>
      <Match when={s()?.format === 'date-time'}>
        <time datetime={String(v())} title={formatDate(String(v())).text}>
          {props.compact
            ? formatDate(String(v())).relative
            : `${formatDate(String(v())).text} · ${formatDate(String(v())).relative}`}
        </time>
      </Match>
      <Match when={s()?.format === 'markdown'}>
        {props.compact ? (
          <span class="truncate" style={{ 'max-width': '320px' }}>
            {String(v()).replace(/[#*_`>[\]]/g, '')}
          </span>
        ) : (
          <Markdown text={String(v())} />
        )}
      </Match>
      <Match when={s()?.format === 'yaml'}>
        <pre class="json-value">{String(v())}</pre>
      </Match>
      <Match when={typeof v() === 'object'}>
        <pre class="json-value">{JSON.stringify(v(), null, 2)}</pre>
      </Match>
      <Match when={typeof v() === 'number'}>
        {/* Integers (ports, counts, tiers) read best as written; fractions get the locale's separators. */}
        <span class="mono">
          {Number.isInteger(v())
            ? String(v())
            : (v() as number).toLocaleString(undefined, { maximumFractionDigits: 3 })}
        </span>
      </Match>
    </Switch>
  );
}
