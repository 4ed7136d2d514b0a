import { chooseDialects } from './dialect-probe'
import { mysqlTestUrl, postgresTestUrl } from './servers'

/**
 * Runs once before the suite: settles `ORGKIT_TEST_DIALECTS` for every test file. On a
 * machine with Node alone, `npm test` then runs on SQLite and says which servers it did not
 * find; with the variable set (as CI sets it), a server it names must answer.
 */
export default async function setup(): Promise<void> {
  const { dialects, notices } = await chooseDialects({
    configured: process.env.ORGKIT_TEST_DIALECTS,
    urls: { postgres: postgresTestUrl(), mysql: mysqlTestUrl() },
  })
  for (const notice of notices) console.warn(notice)
  process.env.ORGKIT_TEST_DIALECTS = dialects.join(',')
}
