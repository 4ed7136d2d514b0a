import { createServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chooseDialects, serverAnswers } from './dialect-probe'

/** A port nothing listens on: one the system handed out and that was closed again. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('serverAnswers', () => {
  let open: Server
  let openPort: number
  beforeAll(async () => {
    open = createServer((socket) => socket.end())
    await new Promise<void>((resolve) => open.listen(0, '127.0.0.1', resolve))
    openPort = (open.address() as { port: number }).port
  })
  afterAll(() => new Promise((resolve) => open.close(resolve)))

  it('is true for a port a server listens on, false for one nothing listens on', async () => {
    expect(await serverAnswers(`postgres://postgres@127.0.0.1:${openPort}/test`, 'postgres')).toBe(true)
    expect(await serverAnswers(`mysql://root@127.0.0.1:${await closedPort()}/test`, 'mysql')).toBe(false)
  })

  it('gives up on a host that never answers after its timeout', async () => {
    // 192.0.2.0/24 is reserved for documentation: nothing routes there, so the connection
    // attempt hangs (or fails at once where the network refuses it): false either way.
    expect(await serverAnswers('postgres://postgres@192.0.2.1:5432/test', 'postgres', 200)).toBe(false)
  })
})

describe('chooseDialects', () => {
  let urls: { postgres: string; mysql: string }
  beforeAll(async () => {
    urls = {
      postgres: `postgres://postgres:secret@127.0.0.1:${await closedPort()}/test`,
      mysql: `mysql://root@127.0.0.1:${await closedPort()}/test`,
    }
  })

  it('unset: SQLite alone when no server answers, one notice per server saying how to require it', async () => {
    const { dialects, notices } = await chooseDialects({ configured: undefined, urls })
    expect(dialects).toEqual(['sqlite'])
    expect(notices).toHaveLength(2)
    expect(notices[0]).toMatch(/no PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/test/)
    expect(notices[1]).toMatch(/no MariaDB\/MySQL at/)
    for (const notice of notices) expect(notice).toContain('ORGKIT_TEST_DIALECTS=sqlite,postgres,mysql')
    expect(notices.join('\n')).not.toContain('secret')
  })

  it('unset: SQLite plus each server that answers', async () => {
    const answers = async (_url: string, dialect: string) => dialect === 'mysql'
    expect(await chooseDialects({ configured: '', urls, answers })).toEqual({
      dialects: ['sqlite', 'mysql'],
      notices: [expect.stringContaining('no PostgreSQL')],
    })
  })

  it('set: a server it names that does not answer is an error; those that answer run', async () => {
    await expect(chooseDialects({ configured: 'sqlite,postgres,mysql', urls })).rejects.toThrow(
      /requires PostgreSQL, which does not answer[\s\S]*requires MariaDB\/MySQL/,
    )
    await expect(chooseDialects({ configured: 'sqlite,mysql', urls })).rejects.toThrow(/MariaDB/)
    expect(await chooseDialects({ configured: 'sqlite', urls })).toEqual({ dialects: ['sqlite'], notices: [] })
    const answers = async () => true
    expect(await chooseDialects({ configured: 'postgres, MYSQL', urls, answers })).toEqual({
      dialects: ['sqlite', 'postgres', 'mysql'],
      notices: [],
    })
  })
})
