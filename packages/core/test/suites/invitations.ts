import { createOrgkit, type Orgkit, type UserActor } from '@orgkit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MakeStorage, StorageUnderTest } from '../support/storages'

const DAY = 86_400_000

/** The invitations tests, on the storage `make` gives (`name` says which, in the test names). */
export function invitationsSuite(name: string, make: MakeStorage): void {
  describe(`invitations on ${name}`, () => {
    let env: StorageUnderTest
    let orgkit: Orgkit
    let now = new Date('2026-01-01T00:00:00.000Z')
    const sent: { email: string; token: string; acceptUrl: string }[] = []
    const user = (userId: string, extra: Partial<UserActor> = {}): UserActor => ({ type: 'user', userId, ...extra })

    beforeAll(async () => {
      env = await make()
      for (const id of ['ann', 'bob', 'cat', 'dan', 'eve', 'fay']) {
        await env.addUser({ id, email: `${id}@example.com`, username: id, name: id.toUpperCase() })
      }
      orgkit = createOrgkit({
        storage: env.storage,
        clock: () => now,
        invitations: {
          acceptUrl: (token) => `https://app.example/join?token=${token}`,
          send: (invitation, { token, acceptUrl }) => void sent.push({ email: invitation.email, token, acceptUrl }),
        },
      })
      await orgkit.as(user('ann')).organizations.create({ name: 'Acme' })
      await orgkit.as(user('ann')).members.add('acme', { userId: 'bob', role: 'admin' })
      await orgkit.as(user('ann')).members.add('acme', { userId: 'cat', role: 'member' })
    })
    afterAll(() => env?.destroy())

    it('creates with a normalized email, returns the token once and hands it to send', async () => {
      const created = await orgkit
        .as(user('bob'))
        .invitations.create('acme', { email: '  Dan@Example.COM ', role: 'member' })
      expect(created).toMatchObject({
        email: 'dan@example.com',
        role: 'member',
        status: 'pending',
        expired: false,
        teamIds: [],
        invitedBy: { userId: 'bob', username: 'bob' },
      })
      expect(created.id).toMatch(/^inv_/)
      expect(created.token.length).toBeGreaterThanOrEqual(22) // ≥128 bits in base64url
      expect(created.token).not.toContain(created.id)
      expect(created.acceptUrl).toBe(`https://app.example/join?token=${created.token}`)
      expect(created.expiresAt.getTime() - now.getTime()).toBe(7 * DAY)
      expect(sent.at(-1)).toEqual({ email: 'dan@example.com', token: created.token, acceptUrl: created.acceptUrl })

      const listed = await orgkit.as(user('bob')).invitations.list('acme')
      expect(listed.data).toHaveLength(1)
      expect(listed.data[0]).not.toHaveProperty('token')
      expect(listed.data[0]).not.toHaveProperty('tokenHash')
      expect(JSON.stringify(listed)).not.toContain(created.token)
    })

    it('refuses duplicates, members, escalation and outsiders, storing nothing', async () => {
      const admin = orgkit.as(user('bob'))
      await expect(admin.invitations.create('acme', { email: 'dan@example.com' })).rejects.toMatchObject({
        code: 'conflict',
      })
      await expect(admin.invitations.create('acme', { email: 'cat@example.com' })).rejects.toMatchObject({
        code: 'conflict',
      })
      await expect(admin.invitations.create('acme', { email: 'eve@example.com', role: 'owner' })).rejects.toMatchObject(
        {
          code: 'forbidden',
        },
      )
      await expect(
        orgkit.as(user('cat')).invitations.create('acme', { email: 'eve@example.com' }),
      ).rejects.toMatchObject({ code: 'forbidden' })
      await expect(
        orgkit.as(user('eve')).invitations.create('acme', { email: 'fay@example.com' }),
      ).rejects.toMatchObject({ code: 'not_found' })
      await expect(admin.invitations.create('acme', { email: 'not-an-email' })).rejects.toMatchObject({
        code: 'validation_failed',
      })
      await expect(admin.invitations.create('acme', { email: 'eve@example.com', role: 'nope' })).rejects.toMatchObject({
        code: 'validation_failed',
      })
      const listed = await admin.invitations.list('acme')
      expect(listed.data.map((i) => i.email)).toEqual(['dan@example.com'])
    })

    it('refuses a wrong email with email_mismatch and leaves the invitation pending', async () => {
      const { token, id } = await orgkit.as(user('ann')).invitations.create('acme', { email: 'eve@example.com' })
      await expect(
        orgkit.as(user('fay', { email: 'fay@example.com' })).invitations.accept({ token }),
      ).rejects.toMatchObject({ code: 'email_mismatch' })
      // By id, someone else's invitation is as good as nonexistent.
      await expect(
        orgkit.as(user('fay', { email: 'fay@example.com' })).invitations.accept({ id }),
      ).rejects.toMatchObject({
        code: 'not_found',
      })
      await expect(
        orgkit.as(user('eve', { email: 'eve@example.com', emailVerified: false })).invitations.accept({ token }),
      ).rejects.toMatchObject({ code: 'email_unverified' })
      const [stored] = (await orgkit.as(user('ann')).invitations.list('acme', { status: 'pending' })).data.filter(
        (i) => i.id === id,
      )
      expect(stored?.status).toBe('pending')
      await expect(
        env.storage.members.find((await orgkit.as(user('ann')).organizations.get('acme')).id, 'fay'),
      ).resolves.toBeNull()

      const preview = await orgkit.as(user('eve')).invitations.preview({ token })
      expect(preview).toMatchObject({
        organization: { slug: 'acme', name: 'Acme' },
        role: 'member',
        invitedBy: { userId: 'ann' },
      })
      const mine = await orgkit.as(user('eve', { email: 'EVE@example.com' })).invitations.mine()
      expect(mine.data.map((i) => i.id)).toEqual([id])

      const member = await orgkit
        .as(user('eve', { email: 'eve@example.com', emailVerified: true }))
        .invitations.accept({ id })
      expect(member).toMatchObject({ userId: 'eve', role: 'member', user: { email: 'eve@example.com' } })
      await expect(orgkit.as(user('eve')).invitations.accept({ token })).rejects.toMatchObject({
        code: 'invitation_used',
      })
    })

    it('expires: accepting after expiresAt gives invitation_expired and no membership', async () => {
      const { token, id } = await orgkit.as(user('ann')).invitations.create('acme', { email: 'fay@example.com' })
      now = new Date(now.getTime() + 7 * DAY + 1)
      await expect(orgkit.as(user('fay')).invitations.accept({ token })).rejects.toMatchObject({
        code: 'invitation_expired',
      })
      const organization = await orgkit.as(user('ann')).organizations.get('acme')
      await expect(env.storage.members.find(organization.id, 'fay')).resolves.toBeNull()
      // A refusal changes nothing: it is stored as it was, pending, and listed as past its date.
      const stored = await env.storage.invitations.find(organization.id, id)
      expect(stored).toMatchObject({ status: 'pending', updatedAt: stored?.createdAt })
      const listed = await orgkit.as(user('ann')).invitations.list('acme', { status: 'expired' })
      expect(listed.data.find((i) => i.id === id)).toMatchObject({ status: 'pending', expired: true })
      // Declining it late is refused the same way, and changes nothing either.
      await expect(orgkit.as(user('fay')).invitations.decline({ token })).rejects.toMatchObject({
        code: 'invitation_expired',
      })
      expect(await env.storage.invitations.find(organization.id, id)).toEqual(stored)
      // The expired invitation no longer blocks a new one for the same email.
      const again = await orgkit.as(user('ann')).invitations.create('acme', { email: 'fay@example.com' })
      expect(again.status).toBe('pending')
    })

    it('resend rotates the token and extends the expiry; revoke and decline end it', async () => {
      const admin = orgkit.as(user('bob'))
      const [pending] = (await admin.invitations.list('acme', { status: 'pending' })).data.filter(
        (i) => i.email === 'fay@example.com',
      )
      const first = sent.at(-1)!
      now = new Date(now.getTime() + DAY)
      const resent = await admin.invitations.resend('acme', pending!.id)
      expect(resent.token).not.toBe(first.token)
      expect(resent.expiresAt.getTime()).toBe(now.getTime() + 7 * DAY)
      expect(sent.at(-1)?.token).toBe(resent.token)
      await expect(orgkit.as(user('fay')).invitations.preview({ token: first.token })).rejects.toMatchObject({
        code: 'not_found',
      })
      await orgkit.as(user('fay')).invitations.decline({ token: resent.token })
      await expect(orgkit.as(user('fay')).invitations.accept({ token: resent.token })).rejects.toMatchObject({
        code: 'invitation_used',
      })

      const revoked = await admin.invitations.create('acme', { email: 'new@example.com' })
      await admin.invitations.revoke('acme', revoked.id)
      await admin.invitations.revoke('acme', revoked.id) // twice is once
      await expect(admin.invitations.resend('acme', revoked.id)).rejects.toMatchObject({ code: 'invitation_revoked' })
      await env.addUser({ id: 'new', email: 'new@example.com' })
      await expect(orgkit.as(user('new')).invitations.accept({ token: revoked.token })).rejects.toMatchObject({
        code: 'invitation_revoked',
      })
      // Another organization's invitation id answers as a nonexistent one.
      await orgkit.as(user('dan')).organizations.create({ name: 'Dan Co', slug: 'dan-co' })
      await expect(orgkit.as(user('dan')).invitations.revoke('dan-co', revoked.id)).rejects.toMatchObject({
        code: 'not_found',
      })
    })

    it('re-checks at accept time that the inviter can still grant the role', async () => {
      const { token } = await orgkit
        .as(user('bob'))
        .invitations.create('acme', { email: 'zed@example.com', role: 'admin' })
      await env.addUser({ id: 'zed', email: 'zed@example.com' })
      await orgkit.as(user('ann')).members.update('acme', 'bob', { role: 'member' })
      await expect(orgkit.as(user('zed')).invitations.accept({ token })).rejects.toMatchObject({
        code: 'forbidden',
        message: expect.stringContaining('inviter can no longer grant'),
      })
      await orgkit.as(user('ann')).members.update('acme', 'bob', { role: 'admin' })
      await expect(orgkit.as(user('zed')).invitations.accept({ token })).resolves.toMatchObject({ role: 'admin' })
    })

    it('names a role that no longer exists at accept time as the reason, not the inviter', async () => {
      // A role the configuration no longer has (deleting a custom role revokes its invitations).
      const configured = createOrgkit({
        storage: env.storage,
        clock: () => now,
        roles: { reviewer: { extends: 'member', grants: [] } },
      })
      const org = await configured.as(user('fay')).organizations.create({ name: 'Reviews' })
      const { token } = await configured
        .as(user('fay'))
        .invitations.create(org.id, { email: 'eve@example.com', role: 'reviewer' })
      const refusal = await orgkit
        .as(user('eve'))
        .invitations.accept({ token })
        .catch((error: unknown) => error)
      expect(refusal).toMatchObject({ code: 'forbidden', message: expect.stringContaining('"reviewer"') })
      expect((refusal as Error).message).toContain('no longer exists')
      expect((refusal as Error).message).not.toContain('inviter')
      expect((await orgkit.as(user('fay')).invitations.list(org.id)).data[0]?.status).toBe('pending')
    })

    it('writes audit events for every invitation change', async () => {
      const events = await orgkit.as(user('ann')).audit.list('acme', { limit: 100 })
      const actions = new Set(events.data.map((e) => e.action))
      for (const action of [
        'invitation.created',
        'invitation.resent',
        'invitation.revoked',
        'invitation.declined',
        'invitation.accepted',
      ]) {
        expect(actions).toContain(action)
      }
    })

    it('keeps the pending-invitation limit and refuses invitations to a personal organization', async () => {
      const limited = createOrgkit({
        storage: env.storage,
        clock: () => now,
        personalOrganizations: true,
        limits: { pendingInvitationsPerOrganization: 2 },
      })
      const ann = limited.as(user('ann'))
      const org = await ann.organizations.create({ name: 'Limited' })
      await ann.invitations.create(org.id, { email: 'one@example.com' })
      const second = await ann.invitations.create(org.id, { email: 'two@example.com' })
      await expect(ann.invitations.create(org.id, { email: 'three@example.com' })).rejects.toMatchObject({
        code: 'limit_exceeded',
      })
      // A revoked invitation no longer counts against the limit.
      await ann.invitations.revoke(org.id, second.id)
      await expect(ann.invitations.create(org.id, { email: 'three@example.com' })).resolves.toMatchObject({
        status: 'pending',
      })
      expect((await ann.invitations.list(org.id, { status: 'pending' })).data.map((i) => i.email).sort()).toEqual([
        'one@example.com',
        'three@example.com',
      ])

      const personal = (await ann.organizations.list()).data.find((o) => o.type === 'personal')!
      await expect(ann.invitations.create(personal.id, { email: 'four@example.com' })).rejects.toMatchObject({
        code: 'conflict',
      })
      expect((await ann.invitations.list(personal.id)).data).toEqual([])
    })

    it('keeps the invitation when send fails after the commit, and reports the failure', async () => {
      const reported: unknown[] = []
      const failing = createOrgkit({
        storage: env.storage,
        clock: () => now,
        onListenerError: (error) => void reported.push(error),
        invitations: {
          send: () => {
            throw new Error('mail server down')
          },
        },
      })
      const created = await failing.as(user('ann')).invitations.create('acme', { email: 'mailfail@example.com' })
      expect(created.acceptUrl).toBe(`/invitations/accept?token=${encodeURIComponent(created.token)}`)
      expect(reported).toEqual([expect.objectContaining({ message: 'mail server down' })])
      const listed = await failing.as(user('ann')).invitations.list('acme', { status: 'pending' })
      expect(listed.data.map((i) => i.id)).toContain(created.id)
    })
  })
}
