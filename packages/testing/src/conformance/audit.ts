import type { Storage } from '@orgkit/core'
import { beforeAll, expect, it } from 'vitest'
import type { ConformanceContext } from './context'
import { at, event, organization } from './fixtures'

/** The audit events part of the storage conformance suite. */
export function auditConformance(t: ConformanceContext): void {
  const { page } = t
  let storage: Storage
  beforeAll(() => {
    storage = t.storage
  })

  it('audit events list newest first, filtered by action, per organization', async () => {
    const org = organization('audit-org')
    await storage.organizations.insert(org)
    const events = Array.from({ length: 5 }, (_, i) => event(org.id, i % 2 ? 'member.added' : 'member.removed', at(i)))
    await storage.audit.append(events)
    const listed = await storage.audit.list(org.id, {}, page(3))
    expect(listed.data.map((e) => e.createdAt)).toEqual([at(4), at(3), at(2)])
    expect(listed.data[0]).toEqual(events[4])
    const rest = await storage.audit.list(org.id, {}, page(3, listed.nextCursor!))
    expect(rest.data.map((e) => e.createdAt)).toEqual([at(1), at(0)])
    const back = await storage.audit.list(org.id, {}, page(3, rest.prevCursor!))
    expect(back.data).toEqual(listed.data)
    expect((await storage.audit.list(org.id, { action: 'member.added' }, page())).data).toHaveLength(2)
    expect((await storage.audit.list('org_other', {}, page())).data).toEqual([])
  })
}
