import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { gettingStartedApp } from './getting-started'
import { exerciseGettingStartedApp } from './getting-started-flow'

describe("docs/getting-started.md's app, from the sources", () => {
  const dir = mkdtempSync(join(tmpdir(), 'orgkit-getting-started-'))
  const databaseFile = join(dir, 'app.db')
  let app: Awaited<ReturnType<typeof gettingStartedApp>>
  let base: string
  beforeAll(async () => {
    Object.assign(process.env, { DATABASE_FILE: databaseFile, PORT: '0', JWT_SECRET: 'a secret of the app' })
    app = await gettingStartedApp()
    await new Promise((resolve) => (app.server.listening ? resolve(undefined) : app.server.once('listening', resolve)))
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await new Promise((resolve) => app?.server.close(resolve))
    await app?.destroy()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves orgkit, guards its routes, maps errors and cleans up after a deleted organization', async () => {
    await exerciseGettingStartedApp(base, databaseFile, 'a secret of the app')
  })
})
