import { describe, expect, it } from 'vitest';
import { reachOf, relationshipTypesOf, scanRuleText, stepsOf, writeKeywords } from './rule-text.ts';

describe('scanRuleText', () => {
  it('accepts a balanced expression with brackets inside strings', () => {
    expect(scanRuleText("e.name <> ')' AND EXISTS { (e)-[:OWNED_BY]->(:Team) }").problems).toEqual([]);
  });

  it('refuses a rule that closes the surrounding parenthesis', () => {
    expect(scanRuleText('true) WITH e MATCH (x) DETACH DELETE x RETURN (true').problems[0]).toMatch(
      /unbalanced "\)"/,
    );
  });

  it('refuses a rule that leaves a bracket open', () => {
    expect(scanRuleText('EXISTS { (e)-->()').problems[0]).toMatch(/"}" is missing/);
  });

  it('refuses comments, which could hide the rest of the query', () => {
    expect(scanRuleText('true // ]').problems[0]).toMatch(/comments are not allowed/);
  });

  it('refuses parameters and semicolons', () => {
    expect(scanRuleText('e.tier = $tier').problems[0]).toMatch(/\$parameters/);
    expect(scanRuleText('true; MATCH (n) RETURN n').problems[0]).toMatch(/";" is not allowed/);
  });

  it('blanks string literals and quoted names in the code it returns', () => {
    expect(scanRuleText("e.`we;ird` = 'DELETE'").code).toBe("e.`name` = ''");
  });
});

describe('writeKeywords', () => {
  it('finds write clauses', () => {
    expect(writeKeywords(scanRuleText('EXISTS { MATCH (e) SET e.x = 1 }').code)).toEqual(['SET']);
  });

  it('ignores property keys, labels and map keys that look like keywords', () => {
    expect(
      writeKeywords(
        scanRuleText('e.set = true AND EXISTS { (e)-[:MERGE|CREATE]->(:Delete {remove: 1}) }').code,
      ),
    ).toEqual([]);
  });

  it('names LOAD CSV', () => {
    expect(writeKeywords(scanRuleText("COUNT { LOAD CSV FROM 'file:///x' AS l RETURN l } > 0").code)).toEqual(
      ['LOAD CSV'],
    );
  });
});

describe('reachOf', () => {
  const reach = (text: string) => reachOf(scanRuleText(text).code);

  it('is zero for a property check', () => {
    expect(reach("e.lifecycle = 'production'")).toEqual({ hops: 0, unbounded: false });
  });

  it('adds up the hops of a chained pattern, counting the upper bound of variable lengths', () => {
    expect(
      reach("NOT EXISTS { (e)-[:DEPENDS_ON*0..3]->()<-[:AFFECTS]-(v:Vulnerability {severity: 'critical'}) }"),
    ).toEqual({ hops: 4, unbounded: false });
  });

  it('counts arrows without brackets', () => {
    expect(reach('EXISTS { (e)-->(x)<--(y) }')).toEqual({ hops: 2, unbounded: false });
  });

  it('marks a pattern without an upper bound', () => {
    expect(reach('EXISTS { (e)-[:DEPENDS_ON*]->(x) }').unbounded).toBe(true);
    expect(reach('EXISTS { (e)-[:DEPENDS_ON]->+(x) }').unbounded).toBe(true);
    expect(reach('EXISTS { ((e)-[:DEPENDS_ON]->(x)){1,5} }').unbounded).toBe(true);
  });

  it('ignores arrows inside strings', () => {
    expect(reach("e.note = '-->'")).toEqual({ hops: 0, unbounded: false });
  });
});

describe('relationshipTypesOf', () => {
  const types = (text: string) => relationshipTypesOf(scanRuleText(text).code);

  it('lists the types of every relationship in the rule', () => {
    expect(
      types(
        'NOT EXISTS { (e)-[:DEPENDS_ON*0..3]->()<-[:AFFECTS]-(v) } AND EXISTS { (e)-[o:OWNED_BY|LED_BY]->() }',
      ),
    ).toEqual(['DEPENDS_ON', 'AFFECTS', 'OWNED_BY', 'LED_BY']);
  });

  it('is empty without relationships', () => {
    expect(types('e.tier = 1')).toEqual([]);
  });

  it('is null when a relationship may have any type', () => {
    expect(types('EXISTS { (e)-->() }')).toBeNull();
    expect(types('EXISTS { (e)-[r]->() }')).toBeNull();
    expect(types('EXISTS { (e)-[:`odd type`]->() }')).toBeNull();
    expect(types('EXISTS { (e)-[:!OWNED_BY]->() }')).toBeNull();
  });
});

describe('stepsOf', () => {
  const steps = (text: string) => stepsOf(scanRuleText(text).code);

  it('walks each relationship of a chain from e back towards e', () => {
    expect(
      steps(
        "NOT EXISTS { (e)-[:DEPENDS_ON*0..3]->(x)<-[:AFFECTS]-(v:Vulnerability {severity: 'critical'}) }",
      ),
    ).toEqual({ out: ['AFFECTS'], in: ['DEPENDS_ON'] });
  });

  it('reads a chain written towards e from the other side', () => {
    expect(steps('EXISTS { (t:Team)<-[:OWNED_BY]-(e) }')).toEqual({ out: [], in: ['OWNED_BY'] });
  });

  it('takes both directions for a chain without e and for undirected relationships', () => {
    expect(
      steps('EXISTS { (e)-[:A]->(x) WHERE EXISTS { (y)-[:B]->(x) } } AND EXISTS { (e)-[:C]-() }'),
    ).toEqual({ out: ['B', 'C'], in: ['A', 'B', 'C'] });
  });

  it('gives up (null) on untyped relationships and quantified path patterns', () => {
    expect(steps('EXISTS { (e)-->() }')).toBeNull();
    expect(steps('EXISTS { ((e)-[:A]->(x)){1,3} }')).toBeNull();
  });
});
