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
  type Operations,
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

/** One line of a bulk invitation's answer: the invitation, or why that email was not invited. */
type BulkAnswer = Operations['bulkCreateInvitations']['response']['data'][number]

/** What an answer shows this once; forgotten when another organization is shown. */
interface ShownOnce {
  invitationToken?: string
  apiKeySecret?: string
  bulkAnswers?: BulkAnswer[]
}

const state: {
  session: Session | null
  client: OrgkitClient | null
  organizations: Organization[]
  current: Organization | null
  map: PermissionMap | null
  roles: Role[]
  members: { q: string; cursors: (string | undefined)[]; data: Member[]; nextCursor: string | null }
  once: ShownOnce
} = {
  session: null,
  client: null,
  organizations: [],
  current: null,
  map: null,
  roles: [],
  members: { q: '', cursors: [undefined], data: [], nextCursor: null },
  once: {},
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
 * The notice after a success is the text the action answers, else `done`.
 */
async function run(action: () => Promise<unknown>, done?: string) {
  document.getElementById('notice')!.hidden = true
  try {
    const said = await action()
    const message = typeof said === 'string' ? said : done
    if (message) notify(message, 'info')
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
  Object.assign(state, { session: null, client: null, organizations: [], current: null, map: null, once: {} })
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
  if (organization.id !== state.current?.id) state.once = {}
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

// ── The page's parts ──────────────────────────────────────────────────────────────

/**
 * A form, declared: its fields by name, what submitting does with their values (trimmed
 * text), and the permission it needs. Without that permission (by the map) it is not shown.
 * What `onSubmit` answers is the notice after it, else `done`.
 */
function form<Name extends string>(spec: {
  label: string
  testid: string
  submit: string
  fields: Record<Name, HTMLElement>
  /** Answers the notice's text, or nothing for `done`. */
  onSubmit: (values: Record<Name, string>) => Promise<unknown>
  needs?: string
  teamId?: string
  done?: string
}): HTMLFormElement | null {
  if (spec.needs !== undefined && !allowed(spec.needs, spec.teamId)) return null
  const fields = Object.entries(spec.fields) as [Name, HTMLElement][]
  for (const [name, field] of fields) field.setAttribute('name', name)
  const element = h(
    'form',
    {
      'aria-label': spec.label,
      'data-testid': spec.testid,
      onsubmit: (event) => {
        event.preventDefault()
        const data = new FormData(element)
        const values = Object.fromEntries(
          fields.map(([name]) => [name, String(data.get(name) ?? '').trim()]),
        ) as Record<Name, string>
        void run(() => spec.onSubmit(values), spec.done)
      },
    },
    fields.map(([, field]) => field),
    h('button', { type: 'submit' }, spec.submit),
  ) as HTMLFormElement
  return element
}

const input = (label: string, extra: Attributes = {}) =>
  h('input', { placeholder: label, 'aria-label': label, ...extra })

const textarea = (label: string, extra: Attributes = {}) =>
  h('textarea', { placeholder: label, 'aria-label': label, ...extra })

/** A choice among `[value, text]` options. */
const choice = (label: string, options: [value: string, text: string][], selected?: string, extra: Attributes = {}) =>
  h(
    'select',
    { 'aria-label': label, ...extra },
    options.map(([value, text]) => h('option', { value, selected: value === selected }, text)),
  )

function roleSelect(selected: string, extra: Attributes = {}) {
  const keys = state.roles.length > 0 ? state.roles.map((role) => role.key) : ['member', 'admin', 'owner']
  return choice(
    'Role',
    keys.map((key) => [key, key]),
    selected,
    extra,
  )
}

/** A button that runs an action of the page (see `run`), with `done` as its notice. */
const button = (label: string, action: () => Promise<void>, done?: string, extra: Attributes = { class: 'link' }) =>
  h('button', { type: 'button', ...extra, onclick: () => void run(action, done) }, label)

/** A list filled in when `load` answers, an element per item; a failure is the notice. */
function listOf<T>(attributes: Attributes, load: () => Promise<{ data: T[] }>, item: (value: T) => HTMLElement) {
  const list = h('ul', { class: 'plain', ...attributes })
  void load().then(
    (page) => list.replaceChildren(...page.data.map(item)),
    (error: unknown) => notify(describeError(error)),
  )
  return list
}

const card = (testid: string, title: string, ...children: (Child | Child[])[]) =>
  h('section', { class: 'card', 'data-testid': testid }, h('h3', {}, title), ...children)

/** A value shown this once (a token, a secret), with what it is. */
const shownOnce = (what: string, testid: string, value: string | undefined) =>
  value === undefined ? null : h('p', { class: 'secret' }, `${what}: `, h('code', { 'data-testid': testid }, value))

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
    form({
      label: 'Sign in',
      testid: 'sign-in',
      submit: 'Sign in',
      fields: { email: input('Email', { type: 'email', required: true }), name: input('Name (optional)') },
      onSubmit: ({ email, name }) => signIn(email, name),
    }),
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
          button(org.name, () => selectOrganization(org.slug), undefined, {
            class: org.slug === state.current?.slug ? 'org active' : 'org',
          }),
        ),
      ),
    ),
    form({
      label: 'New organization',
      testid: 'create-organization',
      submit: 'Create',
      fields: { name: input('New organization name', { required: true }) },
      onSubmit: async ({ name }) => {
        const org = await client.organizations.create({ name })
        await loadOrganizations(org.slug)
      },
    }),
    invitationsForMe(),
  )
}

function invitationsForMe() {
  const client = state.client!
  const accepted = async (member: Member) => loadOrganizations(member.organizationId)
  return h(
    'section',
    {},
    h('h3', {}, 'Invitations for you'),
    listOf(
      { 'data-testid': 'my-invitations' },
      () => client.invitations.mine(),
      (invitation) =>
        h(
          'li',
          {},
          `${invitation.role} in ${invitation.organizationId} `,
          button(
            'Accept',
            async () => accepted(await client.invitations.accept({ id: invitation.id })),
            'Invitation accepted.',
            {},
          ),
        ),
    ),
    form({
      label: 'Accept an invitation',
      testid: 'accept-token',
      submit: 'Accept',
      fields: { token: input('Invitation token', { required: true }) },
      onSubmit: async ({ token }) => accepted(await client.invitations.accept({ token })),
      done: 'Invitation accepted.',
    }),
  )
}

function main() {
  const org = state.current
  const client = state.client!
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
    membersSection(client, org),
    allowed('invitations.create') || allowed('invitations.read') ? invitationsSection(client, org) : null,
    allowed('teams.read') ? teamsSection(client, org) : null,
    allowed('roles.read') ? rolesSection(client, org) : null,
    allowed('apikeys.read') ? apiKeysSection(client, org) : null,
    allowed('audit.read') ? auditSection(client, org) : null,
  )
}

function membersSection(client: OrgkitClient, org: Organization) {
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
          ? roleSelect(member.role, {
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
          ? button(
              'Remove',
              async () => {
                await client.members.remove(org.slug, member.userId)
                await selectOrganization(org.slug)
              },
              'Member removed.',
              { class: 'danger' },
            )
          : null,
      ),
    ),
  )
  return card(
    'members',
    `Members (${org.memberCount})`,
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
      button(
        'Previous',
        () => {
          members.cursors.pop()
          return loadMembers()
        },
        undefined,
        { disabled: members.cursors.length <= 1 },
      ),
      button(
        'Next',
        () => {
          members.cursors.push(members.nextCursor ?? undefined)
          return loadMembers()
        },
        undefined,
        { disabled: members.nextCursor === null },
      ),
    ),
    form({
      label: 'Add a member',
      testid: 'add-member',
      submit: 'Add member',
      needs: 'members.add',
      fields: { who: input('Username or email', { required: true }), role: roleSelect('member') },
      onSubmit: async ({ who, role }) => {
        await client.members.add(org.slug, { ...(who.includes('@') ? { email: who } : { username: who }), role })
        await selectOrganization(org.slug)
      },
      done: 'Member added.',
    }),
  )
}

/** A bulk invitation's answer for one email, in words. */
function describeBulkAnswer(answer: BulkAnswer): string {
  if (answer.invitation) return `Invited as ${answer.invitation.role}.`
  const error = answer.error
  if (!error) return 'No answer.'
  // A malformed item's reasons are in its details (the message only says the request was not valid).
  const reasons = error.code === 'validation_failed' ? error.details?.map((detail) => detail.message) : undefined
  if (reasons && reasons.length > 0) return `Not invited: ${reasons.join('; ')}.`
  return error.code === 'forbidden' ? `Not invited: not allowed. ${error.message}` : `Not invited: ${error.message}`
}

/** Emails from a text: one a line (commas and semicolons separate too); blank lines are skipped. */
const emailsIn = (text: string) =>
  text
    .split(/[\n,;]+/)
    .map((email) => email.trim())
    .filter(Boolean)

function invitationsSection(client: OrgkitClient, org: Organization) {
  const { once } = state
  return card(
    'invitations',
    'Invitations',
    form({
      label: 'Invite',
      testid: 'invite',
      submit: 'Invite',
      needs: 'invitations.create',
      fields: { email: input('Email to invite', { type: 'email', required: true }), role: roleSelect('member') },
      onSubmit: async ({ email, role }) => {
        const invitation = await client.invitations.create(org.slug, { email, role })
        state.once = { invitationToken: invitation.token }
        render()
      },
      done: 'Invitation sent.',
    }),
    shownOnce(
      'Token, shown once (the quickstart prints the accept link instead of mailing it)',
      'invitation-token',
      once.invitationToken,
    ),
    form({
      label: 'Invite several',
      testid: 'bulk-invite',
      submit: 'Invite all',
      needs: 'invitations.create',
      fields: {
        emails: textarea('Emails to invite, one a line', { rows: '3', required: true }),
        role: roleSelect('member'),
      },
      onSubmit: async ({ emails, role }) => {
        const { data } = await client.invitations.bulkCreate(org.slug, {
          invitations: emailsIn(emails).map((email) => ({ email, role })),
        })
        state.once = { bulkAnswers: data }
        render()
        const invited = data.filter((answer) => answer.invitation).length
        return `${invited} of ${data.length} invited.`
      },
    }),
    once.bulkAnswers
      ? h(
          'ul',
          { class: 'plain answers', 'data-testid': 'bulk-answers' },
          once.bulkAnswers.map((answer, index) =>
            h(
              'li',
              { class: answer.invitation ? 'ok' : 'refused' },
              h('strong', {}, answer.email ?? `Line ${index + 1}`),
              ` ${describeBulkAnswer(answer)}`,
            ),
          ),
        )
      : null,
    allowed('invitations.read') ? h('h4', {}, 'Pending') : null,
    allowed('invitations.read')
      ? listOf(
          { 'data-testid': 'pending-invitations' },
          () => client.invitations.list(org.slug, { status: 'pending' }),
          (invitation) =>
            h(
              'li',
              {},
              `${invitation.email} as ${invitation.role} `,
              allowed('invitations.revoke')
                ? button(
                    'Revoke',
                    async () => {
                      await client.invitations.revoke(org.slug, invitation.id)
                      render()
                    },
                    'Invitation revoked.',
                  )
                : null,
            ),
        )
      : null,
  )
}

/** A team's members, by name, filled in when the list answers. */
function teamMembers(client: OrgkitClient, org: Organization, teamId: string) {
  const names = h('small', { class: 'muted' })
  void client.teams.members.list(org.slug, teamId).then(
    (page) =>
      names.replaceChildren(
        page.data.length === 0
          ? 'no members'
          : page.data
              .map((member) => `${member.user.name ?? member.user.username ?? member.userId} (${member.role})`)
              .join(', '),
      ),
    (error: unknown) => notify(describeError(error)),
  )
  return names
}

function teamsSection(client: OrgkitClient, org: Organization) {
  return card(
    'teams-section',
    'Teams',
    listOf(
      { 'data-testid': 'teams' },
      () => client.teams.list(org.slug),
      (team) =>
        h(
          'li',
          { 'data-testid': `team-${team.slug}` },
          h('strong', {}, team.name),
          ' ',
          teamMembers(client, org, team.id),
          // A member of the organization (of the page shown) joins the team as lead or member.
          form({
            label: 'Add to team',
            testid: `add-to-team-${team.id}`,
            submit: 'Add to team',
            needs: 'teams.update',
            teamId: team.id,
            fields: {
              userId: choice(
                'Member to add',
                state.members.data.map((member) => [
                  member.userId,
                  member.user.name ?? member.user.email ?? member.userId,
                ]),
              ),
              role: choice('Team role', [
                ['member', 'member'],
                ['lead', 'lead'],
              ]),
            },
            onSubmit: async ({ userId, role }) => {
              await client.teams.members.add(org.slug, team.id, { userId, role })
              render()
            },
            done: 'Added to the team.',
          }),
          allowed('teams.delete')
            ? button(
                'Delete',
                async () => {
                  await client.teams.delete(org.slug, team.id)
                  render()
                },
                'Team deleted.',
              )
            : null,
        ),
    ),
    form({
      label: 'New team',
      testid: 'create-team',
      submit: 'Create team',
      needs: 'teams.create',
      fields: { name: input('Team name', { required: true }) },
      onSubmit: async ({ name }) => {
        await client.teams.create(org.slug, { name })
        render()
      },
    }),
  )
}

function rolesSection(client: OrgkitClient, org: Organization) {
  return card(
    'roles',
    'Roles',
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
            ? button(
                'Delete',
                async () => {
                  await client.roles.delete(org.slug, role.key, { reassignTo: 'member' })
                  await selectOrganization(org.slug)
                },
                'Role deleted; its members are now members.',
              )
            : null,
        ),
      ),
    ),
    form({
      label: 'New custom role',
      testid: 'create-role',
      submit: 'Create role',
      needs: 'roles.create',
      fields: {
        key: input('Key (billing)', { required: true }),
        permissions: input('Permissions (members.read, projects.*)', { required: true }),
      },
      onSubmit: async ({ key, permissions }) => {
        await client.roles.create(org.slug, {
          key,
          name: key,
          permissions: permissions.split(/[\s,]+/).filter(Boolean),
        })
        await selectOrganization(org.slug)
      },
      done: 'Role created.',
    }),
  )
}

function apiKeysSection(client: OrgkitClient, org: Organization) {
  return card(
    'api-keys-section',
    'API keys',
    listOf(
      { 'data-testid': 'api-keys' },
      () => client.apiKeys.list(org.slug),
      (key) =>
        h(
          'li',
          {},
          `${key.name} ok_${key.prefix}_… ${key.role ?? key.permissions.join(', ')} `,
          key.revokedAt
            ? h('em', {}, 'revoked')
            : allowed('apikeys.revoke')
              ? button(
                  'Revoke',
                  async () => {
                    await client.apiKeys.revoke(org.slug, key.id)
                    render()
                  },
                  'Key revoked.',
                )
              : null,
        ),
    ),
    form({
      label: 'New API key',
      testid: 'create-api-key',
      submit: 'Create key',
      needs: 'apikeys.create',
      fields: { name: input('Key name', { required: true }), role: roleSelect('member') },
      onSubmit: async ({ name, role }) => {
        const key = await client.apiKeys.create(org.slug, { name, role })
        state.once = { apiKeySecret: key.secret }
        render()
      },
    }),
    shownOnce('Secret, shown once', 'api-key-secret', state.once.apiKeySecret),
  )
}

function auditSection(client: OrgkitClient, org: Organization) {
  const list = h('ol', { class: 'plain audit', 'data-testid': 'audit' })
  let cursor: string | null = null
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
  const more = button('Older events', load, undefined, { hidden: true })
  void load().catch((error: unknown) => notify(describeError(error)))
  return card('audit-section', 'Audit trail', list, more)
}

// ── Start ─────────────────────────────────────────────────────────────────────────

const saved = localStorage.getItem(SESSION_KEY)
if (saved) startSession(JSON.parse(saved) as Session)
render()
if (state.session) void run(() => loadOrganizations())
root.dataset.ready = 'true'
