/**
 * The name of a kind as the UI writes it: its title, and its identifier beside it when another
 * kind of the model has the same title ("Component (component)" and "Component (backstageComponent)").
 */

/** A kind's title, or `Title (identifier)` when the title is not unique among `all`. */
export function kindLabel(
  kind: { identifier: string; title?: string | null },
  all: readonly { identifier: string; title?: string | null }[],
): string {
  const title = kind.title || kind.identifier;
  const clash = all.some(
    (other) =>
      other.identifier !== kind.identifier &&
      (other.title || other.identifier).toLowerCase() === title.toLowerCase(),
  );
  return clash ? `${title} (${kind.identifier})` : title;
}
