import jsonata from 'jsonata';

/**
 * Every JSONata expression Plexus evaluates — connector mappings, webhook `deleteWhen`, action
 * form rules, invoker templates, automation conditions — is written by someone we do not trust
 * with the server's CPU. JSONata evaluates on the event loop (its awaits resolve as microtasks),
 * so an endless recursion or a huge sequence would stall every request. These limits make such
 * an expression fail with JSONata's own error (D1011, D1012, D2015) instead.
 *
 * Isomorphic on purpose (web/ evaluates form rules with the same limits): only `jsonata`.
 */
export const jsonataLimits = {
  /** Milliseconds one evaluation may run (checked at every step of the evaluator). */
  timeout: 1_000,
  /** Nesting depth of the evaluator (recursive functions, deeply nested expressions). */
  stack: 500,
  /** Items in one JSONata sequence. */
  sequence: 1_000_000,
} as const;

export type JsonataExpression = ReturnType<typeof jsonata>;

/** Compiles `text` with Plexus's evaluation limits; throws JSONata's error when it does not parse. */
export function compileJsonata(text: string): JsonataExpression {
  return jsonata(text, { ...jsonataLimits });
}

/** JSONata's error as one line: message and, when known, the character it is at. */
export function jsonataErrorText(err: unknown): string {
  const e = err as { message?: string; position?: number };
  return `${e.message ?? String(err)}${e.position !== undefined ? ` (at character ${e.position})` : ''}`;
}
