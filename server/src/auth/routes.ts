import type { OpenAPIHono } from '@hono/zod-openapi';
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors.ts';
import { type AppEnv, readJson, writeContext } from '../http.ts';
import { createRouter, operation, z } from '../openapi.ts';
import { assertAdmin, isAdmin } from './authorize.ts';
import type { IdentityStore } from './identities.ts';
import { isRole, type Principal, roleAtLeast } from './principal.ts';
import type { NewToken, TokenStore } from './tokens.ts';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const role = z.enum(['admin', 'member', 'viewer']);

/** The body of `POST /tokens` (API.md "Administration"). */
const newTokenSchema = z
  .object({
    name: z.string(),
    role,
    expiresAt: z.string().optional().openapi({ description: 'ISO date-time' }),
    user: z.string().optional().openapi({ description: 'The user it belongs to (admins; others get their own)' }),
    blueprints: z.array(z.string()).optional().openapi({ description: 'Limit the token to these blueprints' }),
  })
  .openapi('NewToken');

/** `GET /users/me`: the caller as the server sees it (a principal, with the token used). */
const meSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(['user', 'service', 'token']),
    role,
    teams: z.array(z.string()),
    moderates: z.array(z.string()),
    blueprints: z.array(z.string()).optional().openapi({ description: 'A scoped token: only these blueprints' }),
    tokenId: z.string().optional(),
  })
  .openapi('Me');

/** The body of `POST /users` and `PATCH /users/{id}`; identities.ts checks it. */
const userInputSchema = z
  .object({
    id: z.string().optional().openapi({ description: 'Required on POST: a login or an e-mail' }),
    name: z.string().optional(),
    email: z.string().nullable().optional(),
    kind: z.enum(['user', 'service']).optional(),
    role: role.optional().openapi({ description: 'Required on POST' }),
    teams: z.array(z.string()).optional(),
    moderates: z.array(z.string()).optional(),
  })
  .openapi('UserInput');

/** The body of `POST /teams` and `PUT /teams/{identifier}`; identities.ts checks it. */
const teamInputSchema = z
  .object({ identifier: z.string().optional(), title: z.string().optional(), description: z.string().optional(), members: z.array(z.string()).optional() })
  .openapi('TeamInput');

/**
 * `/api/v1/tokens`, `/api/v1/users`, `/api/v1/teams`. Admins manage everything; a user or
 * service account may create, list and revoke its own tokens, never with more than it has
 * (role, blueprint scope). Everyone may see who they are (`/users/me`) and the list of teams.
 * The stores audit each change in the change's own transaction, with the request's write context.
 */
export function authRoutes(deps: { tokens: TokenStore; identities: IdentityStore; jsonLimit: number }): OpenAPIHono<AppEnv> {
  const { tokens, identities, jsonLimit } = deps;
  const r = createRouter();
  r.openAPIRegistry.register('NewToken', newTokenSchema);
  r.openAPIRegistry.register('UserInput', userInputSchema);
  r.openAPIRegistry.register('TeamInput', teamInputSchema);
  const tag = 'Administration';

  /** A user's own id when they may manage their own tokens (a local user or service account). */
  const selfService = async (p: Principal): Promise<string> => {
    if (p.kind === 'token') throw new ForbiddenError('this token belongs to no user; ask an admin to create tokens');
    if (!(await identities.getUser(p.id))) throw new ForbiddenError(`user "${p.id}" is not registered in Plexus; ask an admin to add them (POST /api/v1/users) before creating tokens`);
    return p.id;
  };

  r.openapi(operation('get', '/tokens', { summary: 'List API tokens (admin: all or ?user=; others: their own)', tag, query: { user: 'Admins: only the tokens of this user' } }), async (c) => {
    const p = c.get('principal');
    if (isAdmin(p)) return c.json({ tokens: await tokens.list({ userId: c.req.query('user') || undefined }) });
    return c.json({ tokens: await tokens.list({ userId: await selfService(p) }) });
  });

  r.openapi(operation('post', '/tokens', { summary: 'Create an API token; the secret is shown once', tag, body: 'NewToken', responses: { 201: { description: 'Created: the secret, shown once', schema: z.object({ id: z.string(), token: z.string() }).catchall(z.unknown()) }, 422: 'Invalid token' } }), async (c) => {
    const p = c.get('principal');
    const body = await readJson(c, jsonLimit);
    if (!isObject(body)) throw new BadRequestError('the body must be {"name", "role", "expiresAt"?, "user"?, "blueprints"?}');
    const input: NewToken = {
      name: body.name as string,
      role: body.role as NewToken['role'],
      expiresAt: (body.expiresAt as string | undefined) ?? null,
      userId: (body.user as string | undefined) ?? null,
      blueprints: (body.blueprints as string[] | undefined) ?? null,
    };
    if (input.userId !== null && typeof input.userId !== 'string') throw new BadRequestError('user must be a user id');
    if (isAdmin(p)) {
      if (input.userId && !(await identities.getUser(input.userId))) throw new NotFoundError(`user "${input.userId}" does not exist`);
    } else {
      const self = await selfService(p);
      if (input.userId && input.userId !== self) throw new ForbiddenError('you may create tokens for yourself only');
      input.userId = self;
      if (isRole(input.role) && !roleAtLeast(p.role, input.role)) throw new ForbiddenError(`a token cannot have more than your role (${p.role})`);
      if (p.blueprints) {
        const outside = (input.blueprints ?? []).filter((b) => !p.blueprints!.includes(b));
        if (!input.blueprints || outside.length > 0) throw new ForbiddenError(`your token is limited to ${p.blueprints.join(', ')}; a token you create must be too`);
      }
    }
    const created = await tokens.create(input, writeContext(c));
    return c.json(created, 201);
  });

  r.openapi(operation('delete', '/tokens/{id}', { summary: 'Revoke a token (admin, or the owner of a personal token)', tag, responses: { 204: 'Revoked' } }), async (c) => {
    const p = c.get('principal');
    const id = c.req.param('id');
    if (!isAdmin(p)) {
      const owner = await tokens.owner(id);
      if (owner === null || owner !== (await selfService(p))) throw new ForbiddenError('you may revoke your own tokens only');
    }
    await tokens.delete(id, writeContext(c));
    return c.body(null, 204);
  });

  r.openapi(operation('get', '/users/me', { summary: 'The caller: identity, role, teams and what it may do', tag, responses: { 200: { description: 'The caller', schema: meSchema } } }), (c) => {
    const { tokenId, ...p } = c.get('principal');
    return c.json({ ...p, ...(tokenId ? { tokenId } : {}) } satisfies z.infer<typeof meSchema>);
  });

  r.openapi(operation('get', '/users', { summary: 'List users (admin)', tag }), async (c) => {
    assertAdmin(c.get('principal'), 'listing users');
    return c.json({ users: await identities.listUsers() });
  });

  r.openapi(operation('post', '/users', { summary: 'Create a user (admin)', tag, body: 'UserInput', responses: { 201: 'Created', 409: 'Exists', 422: 'Invalid user' } }), async (c) => {
    const p = c.get('principal');
    assertAdmin(p, 'adding users');
    const user = await identities.createUser(await readJson(c, jsonLimit), writeContext(c));
    return c.json(user, 201);
  });

  r.openapi(operation('get', '/users/{id}', { summary: 'Read a user (admin, or the user)', tag }), async (c) => {
    const p = c.get('principal');
    const id = c.req.param('id');
    if (p.id !== id || p.kind === 'token') assertAdmin(p, 'reading another user');
    const user = await identities.getUser(id);
    if (!user) throw new NotFoundError(`user "${id}" does not exist`);
    return c.json(user);
  });

  r.openapi(operation('patch', '/users/{id}', { summary: "Change a user's role, teams or name (admin)", tag, body: 'UserInput', responses: { 200: 'Changed', 422: 'Invalid user' } }), async (c) => {
    const p = c.get('principal');
    assertAdmin(p, 'changing users');
    const id = c.req.param('id');
    const after = await identities.updateUser(id, await readJson(c, jsonLimit), writeContext(c));
    return c.json(after);
  });

  r.openapi(operation('delete', '/users/{id}', { summary: 'Delete a user and revoke their tokens (admin)', tag, responses: { 204: 'Deleted' } }), async (c) => {
    assertAdmin(c.get('principal'), 'removing users');
    const id = c.req.param('id');
    // Their tokens go with them: each revocation is audited too.
    await identities.deleteUser(id, writeContext(c));
    return c.body(null, 204);
  });

  r.openapi(operation('get', '/teams', { summary: 'List teams', tag }), async (c) => c.json({ teams: await identities.listTeams() }));

  r.openapi(operation('post', '/teams', { summary: 'Create a team (admin)', tag, body: 'TeamInput', responses: { 201: 'Created', 409: 'Exists', 422: 'Invalid team' } }), async (c) => {
    const p = c.get('principal');
    assertAdmin(p, 'adding teams');
    const saved = await identities.saveTeam(await readJson(c, jsonLimit), writeContext(c), 'create');
    return c.json(saved, 201);
  });

  r.openapi(operation('put', '/teams/{identifier}', { summary: "Replace a team's title, description and members (admin)", tag, body: 'TeamInput', responses: { 200: 'Saved', 422: 'Invalid team' } }), async (c) => {
    const p = c.get('principal');
    assertAdmin(p, 'changing teams');
    const body = await readJson(c, jsonLimit);
    if (!isObject(body)) throw new BadRequestError('the body must be {"title"?, "description"?, "members"?}');
    const id = c.req.param('identifier');
    if (body.identifier !== undefined && body.identifier !== id) throw new BadRequestError('teams cannot be renamed');
    const saved = await identities.saveTeam({ ...body, identifier: id }, writeContext(c), 'replace');
    return c.json(saved);
  });

  r.openapi(operation('delete', '/teams/{identifier}', { summary: 'Delete a team (admin)', tag, responses: { 204: 'Deleted' } }), async (c) => {
    assertAdmin(c.get('principal'), 'removing teams');
    const id = c.req.param('identifier');
    await identities.deleteTeam(id, writeContext(c));
    return c.body(null, 204);
  });
  return r;
}
