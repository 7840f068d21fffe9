// Applies the saved theme before the first paint so a dark-mode user never sees a white flash.
// A file of its own (not inline) so the page runs under a CSP with script-src 'self'.
try {
  const t = localStorage.getItem('plexus.theme');
  const dark = t ? t === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
} catch {}
