import { createContext, createSignal, For, type JSX, useContext } from 'solid-js';

type Kind = 'info' | 'success' | 'error';
interface Toast {
  id: number;
  kind: Kind;
  text: string;
}

const ToastContext = createContext<(text: string, kind?: Kind) => void>();

/** Short confirmations and failures in the corner; each disappears after a few seconds. */
export function ToastProvider(props: { children: JSX.Element }) {
  const [toasts, setToasts] = createSignal<Toast[]>([]);
  let next = 1;
  const show = (text: string, kind: Kind = 'info') => {
    const id = next++;
    setToasts((t) => [...t, { id, kind, text }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), kind === 'error' ? 7000 : 3500);
  };
  return (
    <ToastContext.Provider value={show}>
      {props.children}
      <div class="toasts" aria-live="polite">
        <For each={toasts()}>{(t) => <div class={`toast ${t.kind}`}>{t.text}</div>}</For>
      </div>
    </ToastContext.Provider>
  );
}

/** Shows a toast: `toast('Saved', 'success')`. */
export function useToast(): (text: string, kind?: Kind) => void {
  return useContext(ToastContext) ?? (() => {});
}
