/**
 * Reactive Cytoscape: mounts `makeCytoscape` into an element once it exists, follows the
 * theme, and destroys the graph with the owning component.
 */
import { type Accessor, createSignal, onCleanup, onMount } from 'solid-js';
import { type GraphController, makeCytoscape } from './make-cytoscape.ts';

export interface GraphView {
  /** The controller, once mounted. */
  graph: Accessor<GraphController | null>;
  /** Pass to `ref` of the container element. */
  ref: (el: HTMLElement) => void;
  /** True while a layout runs. */
  layingOut: Accessor<boolean>;
  /** Runs a layout, tracking `layingOut`. */
  layout: (...args: Parameters<GraphController['runLayout']>) => Promise<void>;
}

/**
 * Creates a graph view bound to the component's lifetime. `onReady` runs once with the
 * controller (add elements, wire taps there).
 */
export function createGraphView(onReady?: (g: GraphController) => void): GraphView {
  let el: HTMLElement | undefined;
  const [graph, setGraph] = createSignal<GraphController | null>(null);
  const [layingOut, setLayingOut] = createSignal(false);
  onMount(() => {
    if (!el) return;
    const g = makeCytoscape(el);
    setGraph(g);
    // The theme lives on <html data-theme>; re-style the canvas when it flips.
    const observer = new MutationObserver(() => g.applyTheme());
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    onReady?.(g);
    onCleanup(() => {
      observer.disconnect();
      g.destroy();
      setGraph(null);
    });
  });
  return {
    graph,
    ref: (e) => {
      el = e;
    },
    layingOut,
    async layout(name, options) {
      const g = graph();
      if (!g) return;
      setLayingOut(true);
      try {
        await g.runLayout(name, options);
      } finally {
        setLayingOut(false);
      }
    },
  };
}
