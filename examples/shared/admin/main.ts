/**
 * The organization admin page of the quickstarts, served at `/`: plain TypeScript over
 * `@orgkit/client`, bundled by esbuild when the app starts. It hides what the caller's
 * permission map forbids; the server still decides, and a refusal is shown as a sentence.
 *
 * Sign-in is the demo's stand-in (`POST /demo/users`, then the `x-user-id` header); a real
 * app's session cookie would go along with the client's requests instead.
 */
import {
  can,
  createOrgkitClient,
  type Member,
  type Organization,
  type OrgkitClient,
  OrgkitClientError,
  OrgkitNetworkError,
  type PermissionMap,
  type Role,
} from '@orgkit/client'

type Child = Node | string | null | undefined | false
type Attributes = Record<string, string | boolean | ((event: Event) => void)>

/** Creates an element: `on…` attributes are listeners, booleans toggle attributes. */
function h(tag: string, attributes: Attributes = {}, ...children: (Child | Child[])[]): HTMLElement {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value)
    else if (value === true) element.setAttribute(name, '')
    else if (value !== false) element.setAttribute(name, value)
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) element.append(child)
  }
  return element
}

const SESSION_KEY = 'orgkit-demo-user'
const PAGE_SIZE = 10

interface Session {
  id: string
  email: string
}

const state: {
  session: Session | null
  client: OrgkitClient | null
  organizations: Organization[]
  current: Organization | null
  map: PermissionMap | null
  roles: Role[]
  members: { q: string; cursors: (string | undefined)[]; data: Member[]; nextCursor: string | null }
  issued: string | null
} = {
  session: null,
  client: null,
  organizations: [],
  current: null,
  map: null,
  roles: [],
  members: { q: '', cursors: [undefined], data: [], nextCursor: null },
  issued: null,
}

const root = document.getElementById('app')!

/** What went wrong, as a sentence a person can act on. */
export function describeError(error: unknown): string {
  if (error instanceof OrgkitClientError) {
    const details = error.details?.map((detail) => detail.message).join('; ')
    switch (error.status) {
      case 401:
        return `You are signed out: ${error.message}`
      case 403:
        return `Not allowed: ${error.message}`
      case 404:
        return `Not found: ${error.message}`
      case 400:
        return details ? `${error.message} ${details}` : error.message
      default:
        return error.message
    }
  }
  if (error instanceof OrgkitNetworkError) return 'The server cannot be reached. Is the app still running?'
  return error instanceof Error ? error.message : String(error)
}

function notify(message: string, kind: 'error' | 'info' = 'error') {
  const notice = document.getElementById('notice')!
  notice.textContent = message
  notice.className = `notice ${kind}`
  notice.hidden = false
}

/**
 * Runs an action of the page: its error becomes the notice. A 403 means the map the page
 * hides things by is out of date (someone changed the caller's role): it is read again.
 */
async function run(action: () => Promise<void>, done?: string) {
  document.getElementById('notice')!.hidden = true
  try {
    await action()
    if (done) notify(done, 'info')
  } catch (error) {
    if (error instanceof OrgkitClientError && error.status === 403 && state.current) {
      await selectOrganization(state.current.slug).catch(() => {})
    }
    notify(describeError(error))
  }
}

const allowed = (permission: string, teamId?: string) =>
  state.map !== null && can(state.map, permission, teamId === undefined ? {} : { teamId })

// ── Sign-in (the demo's) ──────────────────────────────────────────────────────────

async function signIn(email: string, name: string) {
  const response = await fetch('/demo/users', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // DEMO ONLY: the quickstart trusts this; a real app signs people in its own way.
    body: JSON.stringify({ email, ...(name ? { name } : {}), emailVerified: true }),
  })
  const body = (await response.json()) as { id?: string; error?: { message: string } }
  if (!response.ok || !body.id) throw new Error(body.error?.message ?? 'Signing in failed.')
  startSession({ id: body.id, email })
  localStorage.setItem(SESSION_KEY, JSON.stringify(state.session))
  await loadOrganizations()
}

function startSession(session: Session) {
  state.session = session
  state.client = createOrgkitClient({ baseUrl: '/api', headers: () => ({ 'x-user-id': session.id }) })
}

function signOut() {
  localStorage.removeItem(SESSION_KEY)
  Object.assign(state, { session: null, client: null, organizations: [], current: null, map: null, issued: null })
  render()
}

// ── Loading ───────────────────────────────────────────────────────────────────────

async function loadOrganizations(select?: string) {
  const client = state.client!
  state.organizations = (await client.organizations.list({ limit: 100 })).data
  // `select` is a slug or an id (an accepted invitation names the organization by id).
  const wanted = select ?? state.current?.slug ?? state.organizations[0]?.slug
  const found = state.organizations.find((org) => org.slug === wanted || org.id === wanted)
  if (found) await selectOrganization(found.slug)
  else {
    state.current = null
    render()
  }
}

async function selectOrganization(slug: string) {
  const client = state.client!
  const [organization, map] = await Promise.all([
    client.organizations.get(slug),
    client.organizations.permissions(slug),
  ])
  state.current = organization
  state.map = map
  state.roles = can(map, 'roles.read') ? (await client.roles.list(slug)).data : []
  state.members = { q: state.members.q, cursors: [undefined], data: [], nextCursor: null }
  await loadMembers()
}

async function loadMembers() {
  const { current, client, members } = state
  if (!current || !client || !allowed('members.read')) return render()
  const cursor = members.cursors[members.cursors.length - 1]
  const page = await client.members.list(current.slug, {
    limit: PAGE_SIZE,
    ...(members.q ? { q: members.q } : {}),
    ...(cursor ? { cursor } : {}),
  })
  members.data = page.data
  members.nextCursor = page.nextCursor
  render()
}

// ── Rendering ─────────────────────────────────────────────────────────────────────

function render() {
  root.replaceChildren(
    h(
      'header',
      {},
      h('h1', {}, 'orgkit admin'),
      state.session
        ? h(
            'span',
            { class: 'who' },
            'Signed in as ',
            h('strong', { 'data-testid': 'signed-in' }, state.session.email),
            ' ',
            h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'),
          )
        : null,
    ),
    h('p', { id: 'notice', class: 'notice', role: 'alert', hidden: true }),
    state.session ? h('div', { class: 'layout' }, sidebar(), main()) : signInForm(),
  )
}

function form(
  attributes: { label: string; testid: string; submit: string },
  fields: HTMLElement[],
  onSubmit: (data: FormData, element: HTMLFormElement) => Promise<void>,
  done?: string,
) {
  const element = h(
    'form',
    {
      'aria-label': attributes.label,
      'data-testid': attributes.testid,
      onsubmit: (event) => {
        event.preventDefault()
        void run(() => onSubmit(new FormData(element), element), done)
      },
    },
    ...fields,
    h('button', { type: 'submit' }, attributes.submit),
  ) as HTMLFormElement
  return element
}

const input = (name: string, placeholder: string, extra: Attributes = {}) =>
  h('input', { name, placeholder, 'aria-label': placeholder, ...extra })

function roleSelect(name: string, selected: string, extra: Attributes = {}) {
  const keys = state.roles.length > 0 ? state.roles.map((role) => role.key) : ['member', 'admin', 'owner']
  return h(
    'select',
    { name, 'aria-label': name, ...extra },
    keys.map((key) => h('option', { value: key, selected: key === selected }, key)),
  )
}

function signInForm() {
  return h(
    'section',
    { class: 'card narrow' },
    h('h2', {}, 'Sign in'),
    h(
      'p',
      { class: 'muted' },
      'Demo sign-in: any email signs up or back in, no password. The quickstart trusts it; never deploy it.',
    ),
    form(
      { label: 'Sign in', testid: 'sign-in', submit: 'Sign in' },
      [input('email', 'Email', { type: 'email', required: true }), input('name', 'Name (optional)')],
      (data) => signIn(String(data.get('email')), String(data.get('name') ?? '')),
    ),
  )
}

function sidebar() {
  const client = state.client!
  return h(
    'aside',
    {},
    h('h2', {}, 'Organizations'),
    h(
      'ul',
      { class: 'orgs', 'data-testid': 'organizations' },
      state.organizations.map((org) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: org.slug === state.current?.slug ? 'org active' : 'org',
              onclick: () => void run(() => selectOrganization(org.slug)),
            },
            org.name,
            h('small', {}, ` ${org.role ?? ''}`),
          ),
        ),
      ),
    ),
    form(
      { label: 'New organization', testid: 'create-organization', submit: 'Create' },
      [input('name', 'New organization name', { required: true })],
      async (data) => {
        const org = await client.organizations.create({ name: String(data.get('name')) })
        await loadOrganizations(org.slug)
      },
    ),
    invitationsForMe(),
  )
}

function invitationsForMe() {
  const client = state.client!
  const list = h('ul', { class: 'plain', 'data-testid': 'my-invitations' })
  // Loaded apart from the rest: the list fills in when it answers.
  void client.invitations.mine().then(
    (page) =>
      list.replaceChildren(
        ...page.data.map((invitation) =>
          h(
            'li',
            {},
            `${invitation.role} in ${invitation.organizationId} `,
            h(
              'button',
              {
                type: 'button',
                onclick: () =>
                  void run(async () => {
                    const member = await client.invitations.accept({ id: invitation.id })
                    await loadOrganizations(member.organizationId)
                  }, 'Invitation accepted.'),
              },
              'Accept',
            ),
          ),
        ),
      ),
    (error: unknown) => notify(describeError(error)),
  )
  return h(
    'section',
    {},
    h('h3', {}, 'Invitations for you'),
    list,
    form(
      { label: 'Accept an invitation', testid: 'accept-token', submit: 'Accept' },
      [input('token', 'Invitation token', { required: true })],
      async (data) => {
        const member = await client.invitations.accept({ token: String(data.get('token')).trim() })
        await loadOrganizations(member.organizationId)
      },
      'Invitation accepted.',
    ),
  )
}

function main() {
  const org = state.current
  if (!org) return h('main', {}, h('p', { class: 'muted' }, 'Create an organization, or accept an invitation.'))
  return h(
    'main',
    {},
    h(
      'h2',
      { 'data-testid': 'organization' },
      org.name,
      h('small', {}, ` ${org.slug} · your role: `, h('span', { 'data-testid': 'my-role' }, org.role ?? '—')),
    ),
    membersSection(),
    allowed('invitations.create') || allowed('invitations.read') ? invitationsSection() : null,
    allowed('teams.read') ? teamsSection() : null,
    allowed('roles.read') ? rolesSection() : null,
    allowed('apikeys.read') ? apiKeysSection() : null,
    allowed('audit.read') ? auditSection() : null,
  )
}

function membersSection() {
  const client = state.client!
  const org = state.current!
  const { members } = state
  if (!allowed('members.read')) return null
  const search = h('input', {
    type: 'search',
    placeholder: 'Search name, email or username',
    'aria-label': 'Search members',
    value: members.q,
  }) as HTMLInputElement
  search.addEventListener('change', () =>
    run(() => {
      Object.assign(members, { q: search.value.trim(), cursors: [undefined] })
      return loadMembers()
    }),
  )
  const rows = members.data.map((member) =>
    h(
      'tr',
      { 'data-testid': `member-${member.user.email ?? member.userId}` },
      h('td', {}, member.user.name ?? member.user.username ?? member.userId),
      h('td', {}, member.user.email ?? ''),
      h(
        'td',
        {},
        allowed('members.update')
          ? roleSelect('role', member.role, {
              'aria-label': `Role of ${member.user.email ?? member.userId}`,
              onchange: (event) =>
                void run(async () => {
                  const role = (event.target as HTMLSelectElement).value
                  await client.members.update(org.slug, member.userId, { role })
                  await selectOrganization(org.slug)
                }, 'Role changed.'),
            })
          : member.role,
      ),
      h(
        'td',
        {},
        allowed('members.remove') && member.userId !== state.session?.id
          ? h(
              'button',
              {
                type: 'button',
                class: 'danger',
                onclick: () =>
                  void run(async () => {
                    await client.members.remove(org.slug, member.userId)
                    await selectOrganization(org.slug)
                  }, 'Member removed.'),
              },
              'Remove',
            )
          : null,
      ),
    ),
  )
  return h(
    'section',
    { class: 'card', 'data-testid': 'members' },
    h('h3', {}, `Members (${org.memberCount})`),
    search,
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Email'), h('th', {}, 'Role'), h('th', {}))),
      h('tbody', {}, rows),
    ),
    h(
      'div',
      { class: 'pager' },
      h(
        'button',
        {
          type: 'button',
          disabled: members.cursors.length <= 1,
          onclick: () =>
            void run(() => {
              members.cursors.pop()
              return loadMembers()
            }),
        },
        'Previous',
      ),
      h(
        'button',
        {
          type: 'button',
          disabled: members.nextCursor === null,
          onclick: () =>
            void run(() => {
              members.cursors.push(members.nextCursor ?? undefined)
              return loadMembers()
            }),
        },
        'Next',
      ),
    ),
    allowed('members.add')
      ? form(
          { label: 'Add a member', testid: 'add-member', submit: 'Add member' },
          [input('who', 'Username or email', { required: true }), roleSelect('role', 'member')],
          async (data) => {
            const who = String(data.get('who')).trim()
            await client.members.add(org.slug, {
              ...(who.includes('@') ? { email: who } : { username: who }),
              role: String(data.get('role')),
            })
            await selectOrganization(org.slug)
          },
          'Member added.',
        )
      : null,
  )
}

function invitationsSection() {
  const client = state.client!
  const org = state.current!
  const pending = h('ul', { class: 'plain', 'data-testid': 'pending-invitations' })
  if (allowed('invitations.read')) {
    void client.invitations.list(org.slug, { status: 'pending' }).then((page) =>
      pending.replaceChildren(
        ...page.data.map((invitation) =>
          h(
            'li',
            {},
            `${invitation.email} as ${invitation.role} `,
            allowed('invitations.revoke')
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'link',
                    onclick: () =>
                      void run(async () => {
                        await client.invitations.revoke(org.slug, invitation.id)
                        render()
                      }, 'Invitation revoked.'),
                  },
                  'Revoke',
                )
              : null,
          ),
        ),
      ),
    )
  }
  return h(
    'section',
    { class: 'card', 'data-testid': 'invitations' },
    h('h3', {}, 'Invitations'),
    allowed('invitations.create')
      ? form(
          { label: 'Invite', testid: 'invite', submit: 'Invite' },
          [input('email', 'Email to invite', { type: 'email', required: true }), roleSelect('role', 'member')],
          async (data, element) => {
            const invitation = await client.invitations.create(org.slug, {
              email: String(data.get('email')),
              role: String(data.get('role')),
            })
            state.issued = invitation.token
            element.reset()
            render()
          },
          'Invitation sent.',
        )
      : null,
    state.issued
      ? h(
          'p',
          { class: 'secret' },
          'Token, shown once (the quickstart prints the accept link instead of mailing it): ',
          h('code', { 'data-testid': 'invitation-token' }, state.issued),
        )
      : null,
    pending,
  )
}

/** A team's members, by name, filled in when the list answers. */
function teamMembers(teamId: string) {
  const names = h('small', { class: 'muted' })
  void state
    .client!.teams.members.list(state.current!.slug, teamId)
    .then((page) =>
      names.replaceChildren(
        page.data.length === 0
          ? 'no members'
          : page.data
              .map((member) => `${member.user.name ?? member.user.username ?? member.userId} (${member.role})`)
              .join(', '),
      ),
    )
  return names
}

/** Adds a member of the organization (of the page shown) to a team, as lead or member. */
function addToTeam(teamId: string) {
  const client = state.client!
  const org = state.current!
  return form(
    { label: 'Add to team', testid: `add-to-team-${teamId}`, submit: 'Add to team' },
    [
      h(
        'select',
        { name: 'userId', 'aria-label': 'Member to add' },
        state.members.data.map((member) =>
          h('option', { value: member.userId }, member.user.name ?? member.user.email ?? member.userId),
        ),
      ),
      h(
        'select',
        { name: 'role', 'aria-label': 'Team role' },
        h('option', { value: 'member' }, 'member'),
        h('option', { value: 'lead' }, 'lead'),
      ),
    ],
    async (data) => {
      await client.teams.members.add(org.slug, teamId, {
        userId: String(data.get('userId')),
        role: String(data.get('role')),
      })
      render()
    },
    'Added to the team.',
  )
}

function teamsSection() {
  const client = state.client!
  const org = state.current!
  const list = h('ul', { class: 'plain', 'data-testid': 'teams' })
  void client.teams.list(org.slug).then((page) =>
    list.replaceChildren(
      ...page.data.map((team) =>
        h(
          'li',
          { 'data-testid': `team-${team.slug}` },
          h('strong', {}, team.name),
          ' ',
          teamMembers(team.id),
          allowed('teams.update', team.id) ? addToTeam(team.id) : null,
          allowed('teams.delete')
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'link',
                  onclick: () =>
                    void run(async () => {
                      await client.teams.delete(org.slug, team.id)
                      render()
                    }, 'Team deleted.'),
                },
                'Delete',
              )
            : null,
        ),
      ),
    ),
  )
  return h(
    'section',
    { class: 'card', 'data-testid': 'teams-section' },
    h('h3', {}, 'Teams'),
    list,
    allowed('teams.create')
      ? form(
          { label: 'New team', testid: 'create-team', submit: 'Create team' },
          [input('name', 'Team name', { required: true })],
          async (data) => {
            await client.teams.create(org.slug, { name: String(data.get('name')) })
            render()
          },
        )
      : null,
  )
}

function rolesSection() {
  const client = state.client!
  const org = state.current!
  return h(
    'section',
    { class: 'card', 'data-testid': 'roles' },
    h('h3', {}, 'Roles'),
    h(
      'ul',
      { class: 'plain' },
      state.roles.map((role) =>
        h(
          'li',
          {},
          h('strong', {}, role.key),
          ` ${role.system ? 'system' : 'custom'}: ${role.permissions.join(', ')} `,
          !role.system && allowed('roles.delete')
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'link',
                  onclick: () =>
                    void run(async () => {
                      await client.roles.delete(org.slug, role.key, { reassignTo: 'member' })
                      await selectOrganization(org.slug)
                    }, 'Role deleted; its members are now members.'),
                },
                'Delete',
              )
            : null,
        ),
      ),
    ),
    allowed('roles.create')
      ? form(
          { label: 'New custom role', testid: 'create-role', submit: 'Create role' },
          [
            input('key', 'Key (billing)', { required: true }),
            input('permissions', 'Permissions (members.read, projects.*)', { required: true }),
          ],
          async (data) => {
            const key = String(data.get('key')).trim()
            const permissions = String(data.get('permissions'))
              .split(/[\s,]+/)
              .filter(Boolean)
            await client.roles.create(org.slug, { key, name: key, permissions })
            await selectOrganization(org.slug)
          },
          'Role created.',
        )
      : null,
  )
}

function apiKeysSection() {
  const client = state.client!
  const org = state.current!
  const list = h('ul', { class: 'plain', 'data-testid': 'api-keys' })
  const secret = h('p', { class: 'secret', hidden: true })
  void client.apiKeys.list(org.slug).then((page) =>
    list.replaceChildren(
      ...page.data.map((key) =>
        h(
          'li',
          {},
          `${key.name} ok_${key.prefix}_… ${key.role ?? key.permissions.join(', ')} `,
          key.revokedAt
            ? h('em', {}, 'revoked')
            : allowed('apikeys.revoke')
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'link',
                    onclick: () =>
                      void run(async () => {
                        await client.apiKeys.revoke(org.slug, key.id)
                        render()
                      }, 'Key revoked.'),
                  },
                  'Revoke',
                )
              : null,
        ),
      ),
    ),
  )
  return h(
    'section',
    { class: 'card', 'data-testid': 'api-keys-section' },
    h('h3', {}, 'API keys'),
    list,
    allowed('apikeys.create')
      ? form(
          { label: 'New API key', testid: 'create-api-key', submit: 'Create key' },
          [input('name', 'Key name', { required: true }), roleSelect('role', 'member')],
          async (data) => {
            const key = await client.apiKeys.create(org.slug, {
              name: String(data.get('name')),
              role: String(data.get('role')),
            })
            render()
            const shown = document.querySelector<HTMLElement>('[data-testid=api-keys-section] .secret')!
            shown.replaceChildren('Secret, shown once: ', h('code', { 'data-testid': 'api-key-secret' }, key.secret))
            shown.hidden = false
          },
        )
      : null,
    secret,
  )
}

function auditSection() {
  const client = state.client!
  const org = state.current!
  const list = h('ol', { class: 'plain audit', 'data-testid': 'audit' })
  let cursor: string | null = null
  const more = h('button', { type: 'button', hidden: true }, 'Older events') as HTMLButtonElement
  const load = async () => {
    const page = await client.audit.list(org.slug, { limit: 8, ...(cursor ? { cursor } : {}) })
    list.append(
      ...page.data.map((event) =>
        h(
          'li',
          {},
          h('time', {}, event.createdAt.replace('T', ' ').slice(0, 19)),
          ` ${event.action} `,
          h('small', {}, `${event.target.type} ${event.target.id}`),
        ),
      ),
    )
    cursor = page.nextCursor
    more.hidden = cursor === null
  }
  more.addEventListener('click', () => void run(load))
  void load().catch((error: unknown) => notify(describeError(error)))
  return h('section', { class: 'card', 'data-testid': 'audit-section' }, h('h3', {}, 'Audit trail'), list, more)
}

// ── Start ─────────────────────────────────────────────────────────────────────────

const saved = localStorage.getItem(SESSION_KEY)
if (saved) startSession(JSON.parse(saved) as Session)
render()
if (state.session) void run(() => loadOrganizations())
root.dataset.ready = 'true'
