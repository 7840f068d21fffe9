/**
 * A resource's value without suspending: reading a pending resource inside the page's
 * Suspense would blank the page while a form re-evaluates or a list loads.
 */
export function peek<T>(r: { state: string; latest: T | undefined }): T | undefined {
  return r.state === 'ready' || r.state === 'refreshing' ? r.latest : undefined;
}
