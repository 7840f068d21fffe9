import DOMPurify from 'dompurify';
import { marked } from 'marked';
import { createMemo } from 'solid-js';

/** Markdown from the catalog, rendered and sanitised (entity data is user input). */
export function Markdown(props: { text: string }) {
  const html = createMemo(() => {
    const raw = marked.parse(props.text, { async: false, gfm: true, breaks: true }) as string;
    return DOMPurify.sanitize(raw, { USE_PROFILES: { html: true } });
  });
  // Sanitised above; innerHTML is the only way to show formatted markdown.
  return <div class="markdown" innerHTML={html()} />;
}
