import { createOrgkit, type Orgkit, type UserActor } from '@orgkit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStorageUnderTest, type StorageUnderTest } from './support/storages'

/**
 * "May this actor grant this role" has one meaning, whoever asks it: creating an invitation
 * and accepting it (which asks again, for the inviter as they are now) must agree for every
 * pair of roles, and a team lead's team role never lets anyone hand out organization roles.
 */

const user = (userId: string): UserActor => ({ type: 'user', userId, email: `${userId}@example.com` })

const SLUG = 'grants'
/** Every granter role holds invitations.create, so only the grant itself can refuse. */
const GRANTER_ROLES = ['owner', 'admin', 'inviter', 'inviter-audit'] as const
const GRANTED_ROLES = ['owner', 'admin', 'member', 'auditor', 'inviter'] as const

describe('one mayGrant', () => {
  let env: StorageUnderTest
  let orgkit: Orgkit
  const owner = user('mg_owner')
  let counter = 0

  async function newUser(prefix: string): Promise<UserActor> {
    counter += 1
    const actor = user(`mg_${prefix}_${counter}`)
    await env.addUser({ id: actor.userId, email: actor.email! })
    return actor
  }

  /** A member with `role`; an `inviter` also leads squad, whose lead role holds audit.read. */
  async function memberWith(role: string): Promise<UserActor> {
    const actor = await newUser('granter')
    await orgkit.as(owner).members.add(SLUG, { userId: actor.userId, role })
    if (role === 'inviter')
      await orgkit.as(owner).teams.members.add(SLUG, 'squad', { userId: actor.userId, role: 'lead' })
    return actor
  }

  async function outcome(run: () => Promise<unknown>): Promise<'granted' | 'refused'> {
    try {
      await run()
      return 'granted'
    } catch (error) {
      if ((error as { code?: string }).code === 'forbidden') return 'refused'
      throw error
    }
  }

  beforeAll(async () => {
    env = await memoryStorageUnderTest()
    await env.addUser({ id: owner.userId, email: owner.email! })
    orgkit = createOrgkit({
      storage: env.storage,
      teamRoles: {
        lead: { grants: ['teams.read', 'teams.update', 'audit.read'] },
        member: { grants: ['teams.read'] },
      },
    })
    const as = orgkit.as(owner)
    await as.organizations.create({ name: 'Grants', slug: SLUG })
    await as.roles.create(SLUG, { key: 'inviter', name: 'Inviter', permissions: ['invitations.create'] })
    await as.roles.create(SLUG, {
      key: 'inviter-audit',
      name: 'Inviter',
      permissions: ['invitations.create', 'audit.read'],
    })
    await as.roles.create(SLUG, { key: 'auditor', name: 'Auditor', permissions: ['audit.read'] })
    await as.teams.create(SLUG, { name: 'Squad', slug: 'squad' })
  })
  afterAll(() => env?.destroy())

  it('answers alike at invitation and at acceptance, for every pair of roles', async () => {
    const results: string[] = []
    for (const granterRole of GRANTER_ROLES) {
      for (const grantedRole of GRANTED_ROLES) {
        // Asked when inviting: the granter, as they are, invites.
        const granter = await memberWith(granterRole)
        const invitee = await newUser('invitee')
        const atCreate = await outcome(() =>
          orgkit.as(granter).invitations.create(SLUG, { email: invitee.email!, role: grantedRole }),
        )
        // Asked when accepting: an owner invites, becomes the granter's role, then the invitee accepts.
        const inviter = await memberWith('owner')
        const later = await newUser('invitee')
        await orgkit.as(inviter).invitations.create(SLUG, { email: later.email!, role: grantedRole })
        await orgkit.as(owner).members.update(SLUG, inviter.userId, { role: granterRole })
        if (granterRole === 'inviter') {
          await orgkit.as(owner).teams.members.add(SLUG, 'squad', { userId: inviter.userId, role: 'lead' })
        }
        const [invitation] = (await orgkit.as(later).invitations.mine()).data
        const atAccept = await outcome(() => orgkit.as(later).invitations.accept({ id: invitation!.id }))
        expect({ granterRole, grantedRole, atAccept }).toEqual({ granterRole, grantedRole, atAccept: atCreate })
        results.push(`${granterRole} → ${grantedRole}: ${atCreate}`)
      }
    }
    expect(results).toEqual([
      'owner → owner: granted',
      'owner → admin: granted',
      'owner → member: granted',
      'owner → auditor: granted',
      'owner → inviter: granted',
      'admin → owner: refused',
      'admin → admin: granted',
      'admin → member: granted',
      'admin → auditor: granted',
      'admin → inviter: granted',
      'inviter → owner: refused',
      'inviter → admin: refused',
      'inviter → member: refused',
      // A lead of squad, whose team role holds audit.read: it does not count for an organization role.
      'inviter → auditor: refused',
      'inviter → inviter: granted',
      'inviter-audit → owner: refused',
      'inviter-audit → admin: refused',
      'inviter-audit → member: refused',
      'inviter-audit → auditor: granted',
      'inviter-audit → inviter: granted',
    ])
  })

  it('refuses a lead every other grant of an organization role its team role would cover', async () => {
    const lead = await memberWith('inviter')
    const as = orgkit.as(lead)
    await expect(as.invitations.create(SLUG, { email: 'x@example.com', role: 'auditor' })).rejects.toMatchObject({
      code: 'forbidden',
    })
    // The team role still counts where the operation is about the team: the lead grants team roles there.
    const teammate = await memberWith('member')
    await expect(as.teams.members.add(SLUG, 'squad', { userId: teammate.userId, role: 'lead' })).resolves.toMatchObject(
      {
        role: 'lead',
      },
    )
  })
})
