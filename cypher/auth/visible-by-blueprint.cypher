// Whether the entity $$Var$$ is readable when no blueprint is readable through owners only
// (read scope of authorize.ts with nothing in `owned`): a test of its blueprint, no subquery.
($$Var$$._blueprint IN $authReadAll)
