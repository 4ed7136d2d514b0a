/**
 * The code samples of docs/client.md and the @orgkit/client README. Each `// #region name`
 * is shown in a document after a `<!-- sample: name -->` marker, word for word;
 * `samples.test.ts` checks that, and `client-samples.test.ts` runs every function here
 * against a quickstart app on a real server.
 */
import {
  can,
  createOrgkitClient,
  isOrgkitClientError,
  type OrgkitClient,
  OrgkitClientError,
  OrgkitNetworkError,
} from '@orgkit/client'

export async function clientReadme() {
  // #region client-readme
  // In a browser on the app's own origin, the session cookie goes along.
  const client = createOrgkitClient({ baseUrl: '/api' })

  const map = await client.organizations.permissions('acme')
  if (can(map, 'invitations.create')) {
    try {
      const invitation = await client.invitations.create('acme', { email: 'cat@example.com', role: 'member' })
      console.log(invitation.acceptUrl)
    } catch (error) {
      if (isOrgkitClientError(error, 'conflict')) console.log('Already invited')
      else throw error
    }
  }

  for await (const member of client.members.iterate('acme')) console.log(member.user.email, member.role)
  // #endregion client-readme
}

export function clientSetup(auth: { currentAccessToken(): Promise<string | null> }, instrumentedFetch: typeof fetch) {
  // #region client-setup
  // A browser app served by the host that mounts orgkit: the session cookie goes along.
  const browser = createOrgkitClient({ baseUrl: '/api' })

  // Another service, with an API key of one organization (`{org}` may then be `me`).
  const service = createOrgkitClient({ baseUrl: 'https://app.example/api', token: process.env.ORGKIT_API_KEY })

  // A token from your own auth, asked before each request, extra headers, your own fetch.
  const custom = createOrgkitClient({
    baseUrl: 'https://app.example/api',
    token: () => auth.currentAccessToken(),
    headers: { 'x-request-source': 'billing-worker' },
    fetch: instrumentedFetch,
  })
  // #endregion client-setup
  return { browser, service, custom }
}

export async function clientErrors(client: OrgkitClient, userId: string) {
  // #region client-errors
  try {
    await client.members.update('acme', userId, { role: 'owner' })
    return 'changed'
  } catch (error) {
    if (error instanceof OrgkitClientError) {
      // 403 forbidden, 404 not_found, 409 last_owner…; `details` for a validation_failed.
      return `${error.status} ${error.code}: ${error.message}`
    }
    if (error instanceof OrgkitNetworkError) return 'The server cannot be reached.'
    throw error // an AbortError, when the call's signal aborted it
  }
  // #endregion client-errors
}

export async function clientPaging(client: OrgkitClient) {
  // #region client-paging
  // Every member, 100 per request, until `nextCursor` is null; give up after 10 seconds.
  const emails: string[] = []
  const signal = AbortSignal.timeout(10_000)
  for await (const member of client.members.iterate('acme', { limit: 100 }, { signal })) {
    emails.push(member.user.email ?? member.userId)
  }

  // One page at a time, when the UI pages itself.
  const first = await client.members.list('acme', { limit: 20, q: 'ann' })
  const next = first.nextCursor ? await client.members.list('acme', { limit: 20, cursor: first.nextCursor }) : null
  // #endregion client-paging
  return { emails, first, next }
}

export async function clientPermissions(client: OrgkitClient, teamId: string) {
  // #region client-permissions
  const map = await client.organizations.permissions('acme')
  // { role: 'member', permissions: ['members.read', …], teams: [{ teamId, role: 'lead', permissions: […] }] }

  const showInviteButton = can(map, 'invitations.create')
  const showTeamSettings = can(map, 'teams.update', { teamId }) // the org role, or the role in that team
  // #endregion client-permissions
  return { map, showInviteButton, showTeamSettings }
}

export async function clientBulk(client: OrgkitClient, emails: string[]) {
  // #region client-bulk
  // Up to 100 at once; each item is answered on its own, in order, and a refused one stops no other.
  const { data } = await client.invitations.bulkCreate('acme', {
    invitations: emails.map((email) => ({ email, role: 'member' })),
  })
  const invited = data.filter((answer) => answer.invitation).map((answer) => answer.email)
  // `conflict`: already a member, a pending invitation, twice in the batch; `validation_failed`: not an email.
  const refused = data.flatMap((answer) => (answer.error ? [`${answer.email}: ${answer.error.code}`] : []))
  // #endregion client-bulk
  return { invited, refused }
}
