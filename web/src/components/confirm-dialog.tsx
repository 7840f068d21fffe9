import { createContext, createSignal, type JSX, onMount, Show, useContext } from 'solid-js';
import { Dialog } from './popover.tsx';

/** What a confirmation asks. */
export interface ConfirmRequest {
  title: string;
  /** What will happen, in a sentence or two. */
  message?: JSX.Element;
  /** Label of the confirming button ("Delete"); "Confirm" by default. */
  confirmLabel?: string;
  /** Label of the button that keeps things as they are; "Cancel" by default. */
  cancelLabel?: string;
  /** Styles the confirming button as destructive. */
  danger?: boolean;
}

type Ask = (request: ConfirmRequest) => Promise<boolean>;

const ConfirmContext = createContext<Ask>();

/**
 * In-app confirmation dialogs instead of the browser's `confirm()`: one at a time, answered by
 * the buttons, Escape or the backdrop (both mean no). Put once around the app.
 */
export function ConfirmProvider(props: { children: JSX.Element }) {
  const [open, setOpen] = createSignal<(ConfirmRequest & { answer: (yes: boolean) => void }) | null>(null);
  const ask: Ask = (request) =>
    new Promise<boolean>((resolve) => {
      open()?.answer(false);
      setOpen({
        ...request,
        answer: (yes) => {
          setOpen(null);
          resolve(yes);
        },
      });
    });
  return (
    <ConfirmContext.Provider value={ask}>
      {props.children}
      <Show when={open()} keyed>
        {(req) => <ConfirmDialog request={req} onAnswer={req.answer} />}
      </Show>
    </ConfirmContext.Provider>
  );
}

function ConfirmDialog(props: { request: ConfirmRequest; onAnswer: (yes: boolean) => void }) {
  let confirmButton: HTMLButtonElement | undefined;
  // The safe choice takes the focus for destructive questions, the confirming one otherwise.
  let cancelButton: HTMLButtonElement | undefined;
  onMount(() => (props.request.danger ? cancelButton : confirmButton)?.focus());
  return (
    <Dialog
      title={props.request.title}
      onClose={() => props.onAnswer(false)}
      testId="confirm-dialog"
      footer={
        <>
          <button
            type="button"
            class="btn ghost"
            ref={cancelButton}
            onClick={() => props.onAnswer(false)}
            data-testid="confirm-cancel"
          >
            {props.request.cancelLabel ?? 'Cancel'}
          </button>
          <button
            type="button"
            class={`btn ${props.request.danger ? 'danger' : 'primary'}`}
            ref={confirmButton}
            onClick={() => props.onAnswer(true)}
            data-testid="confirm-ok"
          >
            {props.request.confirmLabel ?? 'Confirm'}
          </button>
        </>
      }
    >
      <Show when={props.request.message}>
        <p style={{ margin: 0 }}>{props.request.message}</p>
      </Show>
    </Dialog>
  );
}

/**
 * Asks the person to confirm, in the app's own dialog; resolves true for yes.
 * @example const confirm = useConfirm(); if (!(await confirm({ title: 'Delete cart?', danger: true, confirmLabel: 'Delete' }))) return;
 */
export function useConfirm(): Ask {
  const ask = useContext(ConfirmContext);
  if (!ask) throw new Error('useConfirm needs a <ConfirmProvider> around the app');
  return ask;
}
