import { createSignal, type JSX, onCleanup, onMount, Show } from 'solid-js';

/**
 * A button that opens a floating panel; closes on Escape or a click outside. `children` gets
 * a `close` function so a panel can close itself after an action.
 */
export function Popover(props: {
  label: JSX.Element;
  children: (close: () => void) => JSX.Element;
  align?: 'left' | 'right';
  buttonClass?: string;
  testId?: string;
  title?: string;
}) {
  const [open, setOpen] = createSignal(false);
  let root: HTMLDivElement | undefined;
  onMount(() => {
    const onDown = (e: MouseEvent) => {
      if (open() && root && !root.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    onCleanup(() => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    });
  });
  return (
    <div class="popover-anchor" ref={root}>
      <button
        type="button"
        class={props.buttonClass ?? 'btn'}
        onClick={() => setOpen((o) => !o)}
        aria-expanded={open()}
        data-testid={props.testId}
        title={props.title}
      >
        {props.label}
      </button>
      <Show when={open()}>
        <div class={`popover ${props.align === 'right' ? 'right' : ''}`}>
          {props.children(() => setOpen(false))}
        </div>
      </Show>
    </div>
  );
}

/** A modal dialog with a title, body and footer; Escape or the backdrop closes it. */
export function Dialog(props: {
  title: string;
  onClose: () => void;
  children: JSX.Element;
  footer?: JSX.Element;
  testId?: string;
  wide?: boolean;
}) {
  onMount(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && props.onClose();
    document.addEventListener('keydown', onKey);
    onCleanup(() => document.removeEventListener('keydown', onKey));
  });
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a backdrop click is a mouse shortcut; Escape closes for keyboard users.
    <div
      class="overlay"
      style={{ 'padding-top': '8vh' }}
      onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}
    >
      <div
        class="dialog"
        role="dialog"
        aria-modal="true"
        aria-label={props.title}
        data-testid={props.testId}
        style={props.wide ? { width: 'min(760px, calc(100vw - 32px))' } : undefined}
      >
        <div class="dialog-header">
          <h3>{props.title}</h3>
          <button type="button" class="btn icon ghost" onClick={props.onClose} aria-label="Close">
            ✕
          </button>
        </div>
        <div class="dialog-body">{props.children}</div>
        <Show when={props.footer}>
          <div class="dialog-footer">{props.footer}</div>
        </Show>
      </div>
    </div>
  );
}
