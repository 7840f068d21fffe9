import { createSignal } from 'solid-js';

export type Theme = 'light' | 'dark';

/**
 * The colour theme as a signal, applied to `<html data-theme>` and remembered in
 * localStorage (index.html applies it before the first paint).
 */
export function createTheme() {
  const initial = (document.documentElement.dataset.theme as Theme | undefined) ?? 'light';
  const [theme, setThemeSignal] = createSignal<Theme>(initial);
  const setTheme = (t: Theme) => {
    document.documentElement.dataset.theme = t;
    try {
      localStorage.setItem('plexus.theme', t);
    } catch {}
    setThemeSignal(t);
  };
  return { theme, setTheme, toggle: () => setTheme(theme() === 'dark' ? 'light' : 'dark') };
}
