import type { JSX } from 'solid-js';

// 24×24 stroke icons, drawn for Plexus. Blueprint `icon` names from the packs map onto these;
// anything else gets the cube.
const paths: Record<string, string> = {
  cube: 'M12 2.8 20 7.4v9.2L12 21.2 4 16.6V7.4zM4 7.4l8 4.6 8-4.6M12 12v9.2',
  service: 'M4 5h16v5H4zM4 14h16v5H4zM8 7.5h.01M8 16.5h.01',
  component: 'M12 3l8 4.5-8 4.5-8-4.5zM4 12l8 4.5 8-4.5M4 16.5 12 21l8-4.5',
  api: 'M4 12h4l2-5 4 10 2-5h4',
  library: 'M5 4h4v16H5zM10 4h4v16h-4zM15.5 4.5l3.8 1-3.8 15-3.7-1',
  team: 'M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM2.5 20c.7-3.6 3.3-5.5 6.5-5.5s5.8 1.9 6.5 5.5M16 4.3a3.5 3.5 0 0 1 0 6.4M18 14.8c2 .7 3.2 2.4 3.5 5.2',
  group:
    'M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM2.5 20c.7-3.6 3.3-5.5 6.5-5.5s5.8 1.9 6.5 5.5M16 4.3a3.5 3.5 0 0 1 0 6.4M18 14.8c2 .7 3.2 2.4 3.5 5.2',
  user: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21c.9-4.2 4-6.5 8-6.5s7.1 2.3 8 6.5',
  system: 'M3 3h7v7H3zM14 3h7v7h-7zM3 14h7v7H3zM14 14h7v7h-7z',
  domain:
    'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM3 12h18M12 3c2.5 2.6 3.5 5.6 3.5 9s-1 6.4-3.5 9c-2.5-2.6-3.5-5.6-3.5-9s1-6.4 3.5-9z',
  resource:
    'M12 3c4.4 0 8 1.3 8 3s-3.6 3-8 3-8-1.3-8-3 3.6-3 8-3zM4 6v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3',
  cloudResource: 'M7 18a4.5 4.5 0 0 1-.6-9A6 6 0 0 1 18 9.5a4.3 4.3 0 0 1-.5 8.5z',
  environment: 'M4 20 10 8l4 6 2-3 4 9zM15 5a2 2 0 1 0 4 0 2 2 0 0 0-4 0',
  deployment: 'M12 3c3 2 5 5.5 5 9l-2.5 3h-5L7 12c0-3.5 2-7 5-9zM9.5 15 8 20l4-2 4 2-1.5-5M12 9.5h.01',
  pipeline:
    'M5 6a2 2 0 1 0 0 .01M19 18a2 2 0 1 0 0 .01M5 8v3a3 3 0 0 0 3 3h8a3 3 0 0 1 3 3v-1M12 4h5M15 2l2 2-2 2',
  incident: 'M12 3 2.5 20h19zM12 10v4.5M12 17.5h.01',
  alert: 'M6 17V11a6 6 0 1 1 12 0v6l1.5 2h-15zM10 21h4',
  vulnerability: 'M12 3 4 6v6c0 4.5 3.4 8 8 9 4.6-1 8-4.5 8-9V6zM12 9v4M12 16h.01',
  permission: 'M7 11V8a5 5 0 0 1 10 0v3M5 11h14v10H5zM12 15v2',
  location:
    'M12 21s7-6.2 7-11.5A7 7 0 0 0 5 9.5C5 14.8 12 21 12 21zM12 12a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5z',
  // UI icons
  home: 'M4 11 12 4l8 7v9h-5v-6H9v6H4z',
  graph:
    'M6 6a2 2 0 1 0 0 .01M18 7a2 2 0 1 0 0 .01M12 18a2 2 0 1 0 0 .01M7.5 7.3l9 .2M7 7.7l4 8.6M17 8.8l-4 7.5',
  model: 'M4 4h6v6H4zM14 14h6v6h-6zM10 7h4a3 3 0 0 1 3 3v4',
  search: 'M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM20 20l-4-4',
  sun: 'M12 16a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4',
  moon: 'M20 14.5A8 8 0 1 1 9.5 4a6.5 6.5 0 0 0 10.5 10.5z',
  logout: 'M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10',
  plus: 'M12 5v14M5 12h14',
  x: 'M6 6l12 12M18 6 6 18',
  filter: 'M4 5h16l-6 7.5V19l-4-2v-4.5z',
  columns: 'M4 4h16v16H4zM9.5 4v16M14.5 4v16',
  chevronDown: 'M6 9l6 6 6-6',
  chevronRight: 'M9 6l6 6-6 6',
  chevronLeft: 'M15 6l-6 6 6 6',
  arrowUp: 'M12 19V5M6 11l6-6 6 6',
  arrowDown: 'M12 5v14M6 13l6 6 6-6',
  external: 'M14 4h6v6M20 4l-9 9M18 14v6H4V6h6',
  download: 'M12 4v11M7 10l5 5 5-5M5 20h14',
  fit: 'M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5',
  zoomIn: 'M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM20 20l-4-4M8 11h6M11 8v6',
  zoomOut: 'M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM20 20l-4-4M8 11h6',
  layout: 'M12 3l2.5 4.5L19 10l-4.5 2.5L12 17l-2.5-4.5L5 10l4.5-2.5z',
  bookmark: 'M6 4h12v17l-6-4-6 4z',
  trash: 'M5 7h14M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3',
  edit: 'M4 20h4L19 9l-4-4L4 16zM13.5 6.5l4 4',
  radius:
    'M12 12m-2 0a2 2 0 1 0 4 0 2 2 0 1 0-4 0M12 12m-6 0a6 6 0 1 0 12 0 6 6 0 1 0-12 0M12 12m-9.5 0a9.5 9.5 0 1 0 19 0 9.5 9.5 0 1 0-19 0',
  menu: 'M4 7h16M4 12h16M4 17h16',
  key: 'M8 15a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM11 11h10M18 11v3M21 11v3',
  clock: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 7v5l3 2',
  link: 'M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1',
};

/** A stroke icon by name (blueprint icons and UI icons); unknown names draw a cube. */
export function Icon(props: { name?: string; size?: number; class?: string; style?: JSX.CSSProperties }) {
  return (
    <svg
      class={props.class ?? 'nav-icon'}
      style={props.style}
      width={props.size ?? 16}
      height={props.size ?? 16}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="1.8"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
    >
      <path d={paths[props.name ?? 'cube'] ?? paths.cube} />
    </svg>
  );
}

/** The Plexus mark. */
export function BrandMark() {
  return (
    <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
      <rect width="32" height="32" rx="8" fill="var(--accent)" />
      <g stroke="#fff" stroke-width="2.2" fill="none">
        <path d="M9 10l7 6 7-6M16 16v7" />
      </g>
      <g fill="#fff">
        <circle cx="9" cy="10" r="3" />
        <circle cx="23" cy="10" r="3" />
        <circle cx="16" cy="16" r="3" />
        <circle cx="16" cy="23" r="3" />
      </g>
    </svg>
  );
}
