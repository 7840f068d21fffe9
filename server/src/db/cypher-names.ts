/**
 * The one place where a name enters Cypher text. Labels, relationship types and property keys
 * come from validated blueprint identifiers; this function checks them once more and quotes them,
 * so no caller ever splices a user string into a query.
 */
const safeName = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * Returns the name backtick-quoted for use as a label, relationship type or property key.
 * Throws on anything but letters, digits and underscores.
 * @example escapeName('Service') // '`Service`'
 */
export function escapeName(name: string): string {
  if (!safeName.test(name)) throw new Error(`refusing to use ${JSON.stringify(name)} as a Cypher name`);
  return `\`${name}\``;
}
