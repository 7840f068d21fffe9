/**
 * Checks on the text of a Cypher rule made before Neo4j sees it. A rule is embedded in our
 * evaluation query as one parenthesised expression, `coalesce((<rule>) = true, false)`, inside a
 * list beside the other rules. These checks make sure the text cannot step out of that place:
 * brackets balance (so it cannot close our parenthesis and continue with clauses of its own), and
 * there is no comment (which could swallow the rest of our query), no `;` and no `$parameter`.
 * Whatever passes is then planned by Neo4j (`EXPLAIN`, see validate-scorecard.ts) and must be
 * read-only there too.
 */

/** What the scan found: problems (empty when fine) and the text with string literals blanked. */
export interface ScannedRule {
  problems: string[];
  /** The rule with string, backtick and parameter contents removed, for keyword and pattern checks. */
  code: string;
}

const closing: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** Scans a rule's text for the structural problems above. */
export function scanRuleText(text: string): ScannedRule {
  const problems: string[] = [];
  const stack: string[] = [];
  let code = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i];
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < n && text[j] !== ch) j += text[j] === '\\' ? 2 : 1;
      if (j >= n) {
        problems.push('a string literal is not closed');
        break;
      }
      code += "''";
      i = j + 1;
      continue;
    }
    if (ch === '`') {
      let j = i + 1;
      // A doubled backtick is an escaped one inside the name.
      while (j < n && !(text[j] === '`' && text[j + 1] !== '`')) j += text[j] === '`' ? 2 : 1;
      if (j >= n) {
        problems.push('a `quoted name` is not closed');
        break;
      }
      code += '`name`';
      i = j + 1;
      continue;
    }
    if ((ch === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) || (ch === '*' && text[i + 1] === '/')) {
      problems.push('comments are not allowed in a rule (they could hide the end of the expression)');
      break;
    }
    if (ch === ';') {
      problems.push('a rule is one expression; ";" is not allowed');
      break;
    }
    if (ch === '$') {
      problems.push('a rule cannot use $parameters; write the values in the expression');
      break;
    }
    if (ch in closing) stack.push(closing[ch]);
    else if (ch === ')' || ch === ']' || ch === '}') {
      const want = stack.pop();
      if (want !== ch) {
        problems.push(`unbalanced "${ch}" at position ${i + 1}: a rule must be a single expression`);
        break;
      }
    }
    code += ch;
    i++;
  }
  if (problems.length === 0 && stack.length > 0)
    problems.push(`"${stack[stack.length - 1]}" is missing at the end: a rule must be a single expression`);
  return { problems, code };
}

const writeWords = [
  'CREATE',
  'MERGE',
  'SET',
  'DELETE',
  'DETACH',
  'REMOVE',
  'FOREACH',
  'INSERT',
  'LOAD',
  'FINISH',
];

/**
 * Clauses that write (or load files) used as keywords in a scanned rule. A word right after `.`,
 * `:`, `|`, `&` or `!` (a property key, label or type) or before `:` (a map key) is a name, not
 * a keyword. Neo4j's plan is the final word; this only gives a clearer message.
 */
export function writeKeywords(code: string): string[] {
  const found = new Set<string>();
  const word = /[A-Za-z_][A-Za-z0-9_]*/g;
  for (let m = word.exec(code); m; m = word.exec(code)) {
    const upper = m[0].toUpperCase();
    if (!writeWords.includes(upper)) continue;
    const before = code.slice(0, m.index).trimEnd().slice(-1);
    const after = code.slice(m.index + m[0].length).trimStart()[0];
    if ('.:|&!'.includes(before) && before !== '') continue;
    if (after === ':') continue;
    found.add(upper === 'LOAD' ? 'LOAD CSV' : upper);
  }
  return [...found];
}

/** How far from `e` a rule can look: relationship hops, or unbounded. */
export interface RuleReach {
  hops: number;
  /** A variable-length or quantified pattern without an upper bound. */
  unbounded: boolean;
}

/**
 * Over-estimates how many relationship hops from `e` a rule can see, from its patterns: each
 * relationship in the text counts its upper bound (`*1..3` counts 3, a plain one 1), and the
 * counts add up (patterns nested in subqueries chain). Minus signs may count as hops too: the
 * estimate only has to be large enough, as it bounds which entities a change re-evaluates.
 * @example reachOf(scanRuleText('EXISTS { (e)-[:DEPENDS_ON*1..3]->()<-[:AFFECTS]-(v) }').code) // { hops: 4, unbounded: false }
 */
export function reachOf(code: string): RuleReach {
  let hops = 0;
  let unbounded = false;
  const segment = /<?-\s*\[([^\]]*)\]\s*->?|<?--\s*>?/g;
  for (let m = segment.exec(code); m; m = segment.exec(code)) {
    let count = 1;
    const inner = m[1];
    if (inner !== undefined) {
      const star = /\*\s*(\d+)?\s*(\.\.)?\s*(\d+)?/.exec(inner);
      if (star) {
        const [, low, range, high] = star;
        if (high !== undefined) count = Number(high);
        else if (low !== undefined && range === undefined) count = Number(low);
        else unbounded = true;
      }
    }
    // Quantified relationship (`-[:R]->{1,3}`, `-->+`).
    const rest = code.slice(m.index + m[0].length).trimStart();
    const q = /^\{\s*(\d*)\s*(,)?\s*(\d*)\s*\}/.exec(rest);
    if (q) {
      if (q[3]) count *= Number(q[3]);
      else if (q[2] || !q[1]) unbounded = true;
      else count *= Number(q[1]);
    } else if (/^[+*]/.test(rest)) unbounded = true;
    hops += count;
  }
  // Quantified path patterns (`((a)-->(b)){1,3}`, `((a)-->(b))+`) end in `))` and a quantifier;
  // without parsing, any such group counts as unbounded (a false alarm only widens the estimate).
  if (hops > 0 && /\)\s*\)\s*[+*{]/.test(code)) unbounded = true;
  return { hops, unbounded };
}

/**
 * The relationship types a rule's patterns name, or null when some relationship in it may be of
 * any type (`-->`, `-[r]->`, a quoted or negated type). Re-evaluation walks only these types.
 * @example relationshipTypesOf(scanRuleText('EXISTS { (e)-[:OWNED_BY|LED_BY]->() }').code) // ['OWNED_BY', 'LED_BY']
 */
export function relationshipTypesOf(code: string): string[] | null {
  const types = new Set<string>();
  const segment = /<?-\s*\[([^\]]*)\]\s*->?|<?--\s*>?/g;
  for (let m = segment.exec(code); m; m = segment.exec(code)) {
    const inner = m[1];
    if (inner === undefined) return null;
    // `[r:A|B*1..3]`, `[:A {k: 1}]`, `[r:A WHERE r.x > 1]`: an optional variable, then named types.
    const typed =
      /^\s*(?:[A-Za-z_]\w*)?\s*:\s*([A-Za-z_]\w*(?:\s*\|\s*:?\s*[A-Za-z_]\w*)*)\s*(?:\*[^\]]*|\{[^}]*\}|WHERE\b[^\]]*)?$/i.exec(
        inner,
      );
    const list = typed?.[1];
    if (!list) return null;
    for (const t of list.split('|')) types.add(t.replace(/[\s:]/g, ''));
  }
  return [...types];
}

/** Relationship steps that lead from a changed entity back towards `e`, by direction. */
export interface Steps {
  /** Types followed from a node along their arrow (the node is the start). */
  out: string[];
  /** Types followed from a node against their arrow (the node is the end). */
  in: string[];
}

/** The balanced `( ... )` group ending at `close` (a `)`), or null. */
function groupEndingAt(code: string, close: number): [number, number] | null {
  if (code[close] !== ')') return null;
  let depth = 0;
  for (let i = close; i >= 0; i--) {
    if (code[i] === ')') depth++;
    else if (code[i] === '(' && --depth === 0) return [i, close];
  }
  return null;
}

/** The balanced `( ... )` group starting at `open` (a `(`), or null. */
function groupStartingAt(code: string, open: number): [number, number] | null {
  if (code[open] !== '(') return null;
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === '(') depth++;
    else if (code[i] === ')' && --depth === 0) return [open, i];
  }
  return null;
}

/**
 * Which relationships, in which direction, a rule's patterns walk from something that changed
 * back to `e`. In a pattern chain holding `(e)`, each relationship is walked towards `e`: in
 * `(e)-[:DEPENDS_ON*0..3]->(x)<-[:AFFECTS]-(v)` a change at `v` reaches `e` by following
 * AFFECTS along its arrow, then DEPENDS_ON against it. A chain without `e` (a nested pattern
 * from another variable) gets both directions. Null when a relationship may have any type or
 * the rule uses quantified path patterns: then every relationship counts, both ways.
 */
export function stepsOf(code: string): Steps | null {
  if (/\)\s*\)\s*[+*{]/.test(code)) return null;
  const out = new Set<string>();
  const inn = new Set<string>();
  interface Segment {
    at: number;
    types: string[];
    dir: '->' | '<-' | '--';
    before: number | null;
    after: number | null;
  }
  const segments: Segment[] = [];
  const segment = /<?-\s*\[([^\]]*)\]\s*->?|<?--\s*>?/g;
  for (let m = segment.exec(code); m; m = segment.exec(code)) {
    const types = relationshipTypesOf(m[0]);
    if (types === null) return null;
    const text = m[0];
    const dir =
      text.startsWith('<') && !text.endsWith('>')
        ? '<-'
        : text.endsWith('>') && !text.startsWith('<')
          ? '->'
          : '--';
    const beforeEnd = code.slice(0, m.index).trimEnd().length - 1;
    const before = groupEndingAt(code, beforeEnd)?.[0] ?? null;
    const rest = code.slice(m.index + text.length);
    const skipped = /^\s*(?:\{[^}]*\}|[+*])?\s*/.exec(rest)![0].length;
    const after = groupStartingAt(code, m.index + text.length + skipped)?.[0] ?? null;
    segments.push({ at: m.index, types, dir, before, after });
  }
  // Chains: segments that share a node group.
  const chains: Segment[][] = [];
  for (const s of segments) {
    const chain = chains.find((c) => c.some((o) => s.before !== null && o.after === s.before));
    if (chain) chain.push(s);
    else chains.push([s]);
  }
  const isE = (open: number | null) =>
    open !== null && /^\(\s*e\s*(?:[:{)]|$)/.test(code.slice(open, groupStartingAt(code, open)![1] + 1));
  for (const chain of chains) {
    const nodes = [chain[0].before, ...chain.map((s) => s.after)];
    const k = nodes.findIndex(isE);
    chain.forEach((s, i) => {
      // Segment i joins nodes i and i + 1: left of e it is walked left to right, right of e the other way.
      const towardRight = k >= 0 ? i < k : null;
      for (const t of s.types) {
        if (towardRight === null || s.dir === '--') {
          out.add(t);
          inn.add(t);
        } else if ((s.dir === '->') === towardRight) out.add(t);
        else inn.add(t);
      }
    });
  }
  return { out: [...out], in: [...inn] };
}
