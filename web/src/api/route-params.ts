import { type Params, useParams } from '@solidjs/router';

/**
 * One path segment as the page means it: `decodeURIComponent`, or the text as it came when it
 * is not valid percent-encoding (a hand-typed `%`), so a bad address shows "not found", not a crash.
 */
export function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The route's parameters, decoded. @solidjs/router hands path parameters over as they stand in
 * the address, still percent-encoded; links encode identifiers once (`seg`), so a page that
 * passed `params.identifier` on to `seg` again asked the API for `a%252Fb` instead of `a/b`.
 * Every page reads its path parameters through this instead of `useParams`. Reactive like it.
 * @example const params = useRouteParams<{ blueprint: string; identifier: string }>();
 */
export function useRouteParams<T extends Params>(): T {
  const raw = useParams<T>();
  return new Proxy(raw, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'string' ? decodeSegment(value) : value;
    },
  });
}
