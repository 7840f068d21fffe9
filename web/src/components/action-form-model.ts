import type { ActionInputs } from '../api/actions.ts';
import { ApiError, type ErrorDetail } from '../api/client.ts';

/** Field names of the form in display order, grouped into pages (one page without steps). */
export function formPages(inputs: ActionInputs): { title: string; properties: string[] }[] {
  const names = Object.keys(inputs.properties ?? {});
  if (inputs.steps && inputs.steps.length > 0) {
    const listed = new Set(inputs.steps.flatMap((s) => s.properties));
    const rest = names.filter((n) => !listed.has(n));
    const pages = inputs.steps.map((s) => ({
      title: s.title,
      properties: s.properties.filter((p) => names.includes(p)),
    }));
    if (rest.length > 0) pages[pages.length - 1].properties.push(...rest);
    return pages;
  }
  const order = inputs.order ?? [];
  return [
    {
      title: '',
      properties: [...order.filter((n) => names.includes(n)), ...names.filter((n) => !order.includes(n))],
    },
  ];
}

/**
 * Splits a server error's details over the form's fields: `inputs.<name>`, `/inputs/<name>` or
 * `<name>` name a field; the rest is shown above the form.
 */
export function fieldErrorsOf(
  err: unknown,
  names: string[],
): { fields: Record<string, string[]>; rest: string[] } {
  const fields: Record<string, string[]> = {};
  const rest: string[] = [];
  if (!(err instanceof ApiError)) return { fields, rest: [(err as Error)?.message ?? String(err)] };
  for (const d of err.details as ErrorDetail[]) {
    const m = /^\/?(?:inputs[./])?([^./[\]]+)/.exec(d.path ?? '');
    const name = m && names.includes(m[1]) ? m[1] : null;
    if (name) fields[name] = [...(fields[name] ?? []), d.message];
    else rest.push(d.path ? `${d.path}: ${d.message}` : d.message);
  }
  if (Object.keys(fields).length === 0 && rest.length === 0) rest.push(err.message);
  return { fields, rest };
}
