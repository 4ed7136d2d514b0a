import { describe, expect, it } from 'vitest'
import { createPermissionEngine, OrgkitConfigError } from './engine'
import { ORGKIT_PERMISSIONS } from './permissions'

const engine = createPermissionEngine({
  permissions: ['projects.read', 'projects.update', 'projects.delete', 'billing.manage'],
  roles: {
    viewer: { grants: ['projects.read'] },
    editor: { extends: 'viewer', grants: ['projects.update'] },
    manager: { extends: ['editor', 'member'], grants: ['projects.*'], except: ['projects.delete'] },
  },
})

describe('permission engine', () => {
  it('declares orgkit permissions first, then the host permissions', () => {
    expect(engine.permissions.slice(0, ORGKIT_PERMISSIONS.length)).toEqual([...ORGKIT_PERMISSIONS])
    expect(engine.permissions).toContain('billing.manage')
  })

  it('gives owner every declared permission and admin all but organization.delete', () => {
    const owner = engine.role('owner')!
    const admin = engine.role('admin')!
    for (const permission of engine.permissions) expect(owner.has(permission)).toBe(true)
    expect(admin.has('organization.delete')).toBe(false)
    expect(admin.has('billing.manage')).toBe(true)
    expect(admin.permissions).toHaveLength(engine.permissions.length - 1)
  })

  it('resolves extends and wildcards, then takes away except', () => {
    const manager = engine.role('manager')!
    expect(manager.has('projects.read')).toBe(true)
    expect(manager.has('projects.update')).toBe(true)
    expect(manager.has('projects.delete')).toBe(false)
    expect(manager.has('members.read')).toBe(true)
    expect(manager.has('billing.manage')).toBe(false)
  })

  it('throws for an undeclared permission instead of answering', () => {
    expect(() => engine.role('owner')!.has('projects.archive')).toThrow(TypeError)
    expect(() => engine.assertDeclared('nope.nope')).toThrow(/not a declared permission/)
  })

  it('answers subset questions for the no-escalation rule', () => {
    const owner = engine.role('owner')!
    const admin = engine.role('admin')!
    const member = engine.role('member')!
    expect(owner.includes(admin)).toBe(true)
    expect(admin.includes(owner)).toBe(false)
    expect(admin.missing(owner)).toEqual(['organization.delete'])
    expect(member.includes(member)).toBe(true)
    expect(engine.role('viewer')!.includes(engine.role('editor')!)).toBe(false)
  })

  it('explains which grant of which role decided', () => {
    expect(engine.role('editor')!.explain('projects.read')).toEqual({
      allowed: true,
      permission: 'projects.read',
      role: 'editor',
      grant: 'projects.read',
      grantedBy: 'viewer',
    })
    const denied = engine.role('manager')!.explain('projects.delete')
    expect(denied.allowed).toBe(false)
    expect(denied).toMatchObject({ reason: expect.stringContaining('except') })
    expect(engine.role('viewer')!.explain('billing.manage')).toMatchObject({ allowed: false })
  })

  it('compiles run-time grants and refuses ones that match nothing', () => {
    const key = engine.compile(['projects.*', 'members.read'], { key: 'api-key' })
    expect(key.permissions).toEqual(['members.read', 'projects.read', 'projects.update', 'projects.delete'])
    expect(() => engine.compile(['projets.read'], { key: 'x' })).toThrow(
      expect.objectContaining({ code: 'validation_failed' }),
    )
    expect(() => engine.compile(['not a grant'], { key: 'x' })).toThrow(
      expect.objectContaining({ code: 'validation_failed' }),
    )
  })

  it('refuses configuration mistakes with a clear error', () => {
    expect(() => createPermissionEngine({ permissions: ['projects'] })).toThrow(OrgkitConfigError)
    expect(() => createPermissionEngine({ roles: { owner: { grants: ['members.read'] } } })).toThrow(/owner/)
    expect(() => createPermissionEngine({ roles: { a: { extends: 'b' }, b: { extends: 'a' } } })).toThrow(/cycle/)
    expect(() => createPermissionEngine({ roles: { a: { extends: 'ghost' } } })).toThrow(/ghost/)
    expect(() => createPermissionEngine({ roles: { a: { grants: ['projects.*'] } } })).toThrow(
      /matches no declared permission/,
    )
  })

  it('handles more than 32 permissions across bit-set words', () => {
    const many = Array.from({ length: 70 }, (_, i) => `things.action${i}`)
    const big = createPermissionEngine({ permissions: many, roles: { some: { grants: ['things.action69'] } } })
    const some = big.role('some')!
    expect(some.has('things.action69')).toBe(true)
    expect(some.has('things.action0')).toBe(false)
    expect(big.role('owner')!.includes(some)).toBe(true)
    expect(some.includes(big.role('member')!)).toBe(false)
  })
})
