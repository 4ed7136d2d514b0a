/**
 * The permission types `createOrgkit` infers from its options, checked by the compiler: this
 * file is part of `tsc -b`, where each `@ts-expect-error` line must be an error (an unused
 * one fails the build) and each `expectTypeOf` must hold. Run by vitest too, the same calls
 * show that what the compiler refuses is also refused at run time, and that what it accepts
 * works.
 */
import {
  type BuiltInPermission,
  createOrgkit,
  type OrganizationView,
  type Orgkit,
  type OrgkitOptions,
} from '@orgkit/core'
import { requirePermission as expressPermission, type OrgkitLocals } from '@orgkit/express'
import { requirePermission as fastifyPermission, type OrgkitGrant } from '@orgkit/fastify'
import express from 'express'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { createTestStorage, type StorageUnderTest } from '../support/databases'

type HostPermission = 'projects.read' | 'projects.update' | 'billing.manage'

describe('permissions typed from the options', () => {
  let t: StorageUnderTest
  let ownerId: string
  beforeAll(async () => {
    t = await createTestStorage('memory')
    ownerId = (await t.addUser()).id
  })
  afterAll(async () => {
    await t?.destroy()
  })

  /** The instance every test below types against: no `as const` anywhere. */
  const build = () =>
    createOrgkit({
      storage: t.storage,
      permissions: ['projects.read', 'projects.update', 'billing.manage'],
      roles: {
        member: { grants: ['members.read', 'projects.read'] },
        billing: { extends: 'member', grants: ['billing.*'], except: ['projects.read'] },
        lead: { extends: ['member', 'admin'], grants: ['projects.*'] },
      },
      defaultRole: 'member',
      teamRoles: { lead: { grants: ['projects.update', 'teams.read'] }, member: { grants: ['teams.read'] } },
      organizationFields: (organizations) => organizations.map(() => ({ projectCount: 3 })),
    })

  it('infers the declared permissions, orgkit’s own included', () => {
    const orgkit = build()
    expectTypeOf(orgkit).toEqualTypeOf<Orgkit<HostPermission | BuiltInPermission, { projectCount: number }>>()
    expectTypeOf(orgkit.authorize).parameter(2).toEqualTypeOf<HostPermission | BuiltInPermission>()
    // Without `permissions`, orgkit's own.
    const plain = createOrgkit({ storage: t.storage })
    expectTypeOf(plain.authorize).parameter(2).toEqualTypeOf<BuiltInPermission>()
    // An instance typed as a plain `Orgkit` (options built elsewhere) takes any string.
    const options: OrgkitOptions = { storage: t.storage, permissions: ['projects.read'] }
    expectTypeOf(createOrgkit(options).authorize).parameter(2).toEqualTypeOf<string>()
  })

  it('refuses a misspelled grant, role or default role in the configuration', () => {
    const misspelled: [string, () => unknown][] = [
      [
        'grants',
        () =>
          createOrgkit({
            storage: t.storage,
            permissions: ['projects.read'],
            // @ts-expect-error `projects.reed` is not declared
            roles: { member: { grants: ['projects.reed'] } },
          }),
      ],
      [
        'a wildcard',
        () =>
          createOrgkit({
            storage: t.storage,
            permissions: ['projects.read'],
            // @ts-expect-error no declared permission of the resource `project`
            roles: { member: { grants: ['project.*'] } },
          }),
      ],
      [
        'except',
        () =>
          createOrgkit({
            storage: t.storage,
            permissions: ['projects.read'],
            // @ts-expect-error `projects.delete` is not declared
            roles: { manager: { extends: 'admin', except: ['projects.delete'] } },
          }),
      ],
      [
        'extends',
        () =>
          createOrgkit({
            storage: t.storage,
            // @ts-expect-error there is no role `membr`
            roles: { billing: { extends: 'membr' } },
          }),
      ],
      [
        'defaultRole',
        () =>
          createOrgkit({
            storage: t.storage,
            roles: { viewer: { grants: ['members.read'] } },
            // @ts-expect-error there is no role `viewr`
            defaultRole: 'viewr',
          }),
      ],
      [
        'a team role',
        () =>
          createOrgkit({
            storage: t.storage,
            permissions: ['projects.read'],
            // @ts-expect-error `projects.update` is not declared
            teamRoles: { lead: { grants: ['projects.update'] } },
          }),
      ],
    ]
    for (const [what, create] of misspelled) expect(create, what).toThrow()
    expect(build).not.toThrow()
  })

  it('refuses a misspelled permission in can, authorize, custom roles and API keys', async () => {
    const orgkit = build()
    const owner = orgkit.as({ type: 'user', userId: ownerId })
    await owner.organizations.create({ name: 'Typed', slug: 'typed' })

    expect(await owner.can('typed', 'projects.update')).toBe(true)
    // @ts-expect-error `projects.updat` is not declared
    await expect(owner.can('typed', 'projects.updat')).rejects.toThrow(/not a declared permission/)

    const actor = { type: 'user', userId: ownerId } as const
    expect((await orgkit.authorize(actor, 'typed', 'billing.manage')).organization.slug).toBe('typed')
    // @ts-expect-error `billing.manag` is not declared
    await expect(orgkit.authorize(actor, 'typed', 'billing.manag')).rejects.toThrow(/not a declared permission/)

    const role = await owner.roles.create('typed', { key: 'viewer', name: 'Viewer', permissions: ['projects.*'] })
    expect(role.permissions).toEqual(['projects.read', 'projects.update'])
    await expect(
      // @ts-expect-error `project.read` is not declared
      owner.roles.create('typed', { key: 'typo', name: 'Typo', permissions: ['project.read'] }),
    ).rejects.toMatchObject({ code: 'validation_failed' })
    await owner.roles.update('typed', 'viewer', { permissions: ['projects.read', 'members.read'] })
    // @ts-expect-error `members.raed` is not declared
    await expect(owner.roles.update('typed', 'viewer', { permissions: ['members.raed'] })).rejects.toMatchObject({
      code: 'validation_failed',
    })

    const key = await owner.apiKeys.create('typed', { name: 'CI', permissions: ['projects.read', 'members.*'] })
    expect(key.permissions).toContain('members.read')
    await expect(
      // @ts-expect-error `projects.raed` is not declared
      owner.apiKeys.create('typed', { name: 'Typo', permissions: ['projects.raed'] }),
    ).rejects.toMatchObject({ code: 'validation_failed' })
  })

  it('refuses a misspelled permission in both adapters’ requirePermission, and types the grant', () => {
    const orgkit = build()
    expect(() => expressPermission(orgkit, 'projects.read')).not.toThrow()
    // @ts-expect-error `projects.creat` is not declared
    expect(() => expressPermission(orgkit, 'projects.creat')).toThrow(/not a declared permission/)
    expect(() => fastifyPermission(orgkit, 'billing.manage')).not.toThrow()
    // @ts-expect-error `billing.manages` is not declared
    expect(() => fastifyPermission(orgkit, 'billing.manages')).toThrow(/not a declared permission/)

    // The handlers after the guard on the same route see the grant, with no cast.
    express().get('/projects/:org', expressPermission(orgkit, 'projects.read'), (_req, res) => {
      expectTypeOf(res.locals.orgkit).toEqualTypeOf<OrgkitLocals>()
      res.json({ organizationId: res.locals.orgkit.organization.id })
    })
    // A handler written apart from its route sees it too, as possibly absent.
    const apart = (_req: express.Request, res: express.Response) => {
      expectTypeOf(res.locals.orgkit).toEqualTypeOf<OrgkitLocals | undefined>()
      res.json({ organizationId: res.locals.orgkit?.organization.id })
    }
    express().get('/apart/:org', expressPermission(orgkit, 'projects.read'), apart)
    Fastify().get('/projects/:org', { preHandler: fastifyPermission(orgkit, 'projects.read') }, async (request) => {
      expectTypeOf(request.orgkit).toEqualTypeOf<OrgkitGrant | undefined>()
      return { organizationId: request.orgkit?.organization.id }
    })
  })

  it('types organizationFields through to the organization views', async () => {
    const orgkit = build()
    const owner = orgkit.as({ type: 'user', userId: ownerId })
    const created = await owner.organizations.create({ name: 'Fields', visibility: 'public' })
    expectTypeOf(created.projectCount).toEqualTypeOf<number>()
    expectTypeOf(created).toMatchTypeOf<OrganizationView>()
    expect(created.projectCount).toBe(3)
    const page = await owner.organizations.list()
    expectTypeOf(page.data[0]!.projectCount).toEqualTypeOf<number>()
    expect(page.data.map((organization) => organization.projectCount)).toEqual(page.data.map(() => 3))
    expect((await owner.organizations.get(created.slug)).projectCount).toBe(3)
    expect((await owner.organizations.update(created.slug, { name: 'Fields 2' })).projectCount).toBe(3)
    expect((await orgkit.publicOrganization(created.slug)).projectCount).toBe(3)
    // An instance without organizationFields has no such field.
    const plain = createOrgkit({ storage: t.storage })
    const view = await plain.as({ type: 'user', userId: ownerId }).organizations.get(created.slug)
    // @ts-expect-error no organizationFields, no projectCount
    expect(view.projectCount).toBeUndefined()
  })
})
