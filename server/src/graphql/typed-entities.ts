import {
  type DocumentNode,
  execute,
  type FieldNode,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

type Ref = { blueprint: string; identifier: string };

const name = (value: string) => ({ kind: Kind.NAME, value }) as const;
const field = (n: string): FieldNode => ({ kind: Kind.FIELD, name: name(n) });

/**
 * Typed entities for fields of Plexus's own results (`ImpactNode.entity`, `reachable`): the
 * entities a service found by reference, read again through the generated `entities` query of
 * the `Entity` interface with the caller's own selection (`... on Service { ownedBy { ... } }`),
 * so @neo4j/graphql translates it and applies the caller's @authorization rules as for any read.
 * One query per selection and request: refs asked for in the same tick are gathered.
 */
export function createTypedEntities(getSchema: () => GraphQLSchema) {
  const batches = new WeakMap<object, Map<SelectionSetNode, { refs: Ref[]; done: Promise<Map<string, unknown>> }>>();

  async function fetch(refs: Ref[], selection: SelectionSetNode, info: GraphQLResolveInfo, context: object): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    if (refs.length === 0) return out;
    const ids = [...new Set(refs.map((r) => r.identifier))];
    const variables = info.operation.variableDefinitions ?? [];
    const operation: OperationDefinitionNode = {
      kind: Kind.OPERATION_DEFINITION,
      operation: 'query' as OperationDefinitionNode['operation'],
      variableDefinitions: [
        ...variables,
        {
          kind: Kind.VARIABLE_DEFINITION,
          variable: { kind: Kind.VARIABLE, name: name('plexusIds') },
          type: { kind: Kind.LIST_TYPE, type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: name('String') } } },
        },
      ],
      selectionSet: {
        kind: Kind.SELECTION_SET,
        selections: [
          {
            kind: Kind.FIELD,
            name: name('entities'),
            arguments: [
              {
                kind: Kind.ARGUMENT,
                name: name('where'),
                value: {
                  kind: Kind.OBJECT,
                  fields: [
                    {
                      kind: Kind.OBJECT_FIELD,
                      name: name('identifier'),
                      value: {
                        kind: Kind.OBJECT,
                        fields: [{ kind: Kind.OBJECT_FIELD, name: name('in'), value: { kind: Kind.VARIABLE, name: name('plexusIds') } }],
                      },
                    },
                  ],
                },
              },
            ],
            selectionSet: {
              kind: Kind.SELECTION_SET,
              // What the outer resolvers need: the type, and the key of custom-resolved fields.
              selections: [field('__typename'), field('identifier'), field('_blueprint'), ...selection.selections],
            },
          },
        ],
      },
    };
    const document: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...Object.values(info.fragments)] };
    const result = await execute({
      schema: getSchema(),
      document,
      contextValue: { ...context },
      variableValues: { ...info.variableValues, plexusIds: ids },
    });
    if (result.errors?.length) throw result.errors[0];
    const rows = ((result.data as { entities?: Record<string, unknown>[] } | null)?.entities ?? []) as Record<string, unknown>[];
    for (const row of rows) {
      out.set(`${row._blueprint}:${row.identifier}`, { ...row, __resolveType: row.__typename });
    }
    return out;
  }

  return {
    /** The typed entity of one ref, batched with the other refs of the same field and request. */
    one(ref: Ref, info: GraphQLResolveInfo, context: object): Promise<unknown> {
      const selection = info.fieldNodes[0].selectionSet as SelectionSetNode;
      let open = batches.get(context);
      if (!open) batches.set(context, (open = new Map()));
      let batch = open.get(selection);
      if (!batch) {
        const refs: Ref[] = [];
        const current = {
          refs,
          done: new Promise<void>((resolve) => queueMicrotask(resolve)).then(() => {
            if (open.get(selection) === current) open.delete(selection);
            return fetch(refs, selection, info, context);
          }),
        };
        batch = current;
        open.set(selection, batch);
      }
      batch.refs.push(ref);
      return batch.done.then((found) => found.get(`${ref.blueprint}:${ref.identifier}`) ?? null);
    },
    /** The typed entities of a list of refs, in their order (unreadable ones left out). */
    async many(refs: Ref[], info: GraphQLResolveInfo, context: object): Promise<unknown[]> {
      const found = await fetch(refs, info.fieldNodes[0].selectionSet as SelectionSetNode, info, context);
      return refs.flatMap((r) => {
        const e = found.get(`${r.blueprint}:${r.identifier}`);
        return e ? [e] : [];
      });
    },
  };
}
