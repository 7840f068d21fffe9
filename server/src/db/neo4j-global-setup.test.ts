import { describe, expect, it } from 'vitest';
import { chooseTestNeo4j } from './neo4j-global-setup.ts';

const probe = (java: boolean, docker: boolean) => ({ java: () => java, docker: () => docker });

describe('which Neo4j the integration tests get', () => {
  it('uses NEO4J_URI whenever it is set', () => {
    expect(chooseTestNeo4j({ NEO4J_URI: 'bolt://db:7687' }, probe(true, true))).toBe('uri');
  });

  it('prefers the embedded launcher when Java and Maven are there, else Testcontainers with a Docker engine', () => {
    expect(chooseTestNeo4j({}, probe(true, true))).toBe('embedded');
    expect(chooseTestNeo4j({}, probe(false, true))).toBe('testcontainers');
  });

  it('follows PLEXUS_TEST_NEO4J, and rejects an unknown value with the accepted ones', () => {
    expect(chooseTestNeo4j({ PLEXUS_TEST_NEO4J: 'testcontainers' }, probe(true, false))).toBe('testcontainers');
    expect(chooseTestNeo4j({ PLEXUS_TEST_NEO4J: 'embedded' }, probe(false, true))).toBe('embedded');
    expect(() => chooseTestNeo4j({ PLEXUS_TEST_NEO4J: 'docker' }, probe(true, true))).toThrow(/"embedded" or "testcontainers"/);
  });

  it('says what to install when there is neither Java nor Docker', () => {
    expect(() => chooseTestNeo4j({}, probe(false, false))).toThrow(/Java 17\+ and Maven.*Docker.*NEO4J_URI/);
  });
});
