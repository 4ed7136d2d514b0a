import { connect } from 'node:net'

/** A database the suite runs on (the same names as `databases.ts`). */
type TestDialect = 'sqlite' | 'postgres' | 'mysql'

/** The database servers the suite can use besides SQLite, which needs none. */
export type ServerDialect = Exclude<TestDialect, 'sqlite'>

const SERVER_NAMES: Record<ServerDialect, string> = { postgres: 'PostgreSQL', mysql: 'MariaDB/MySQL' }
const URL_VARIABLES: Record<ServerDialect, string> = { postgres: 'ORGKIT_TEST_PG_URL', mysql: 'ORGKIT_TEST_MYSQL_URL' }
const DEFAULT_PORTS: Record<ServerDialect, number> = { postgres: 5432, mysql: 3306 }

/**
 * Whether a server accepts connections at the host and port of `url`: one TCP connection,
 * given up after `timeoutMs`. Refused, unreachable or silent past the timeout: `false`.
 */
export function serverAnswers(url: string, dialect: ServerDialect, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || DEFAULT_PORTS[dialect]) })
    const done = (answered: boolean) => {
      socket.destroy()
      resolve(answered)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

export interface DialectChoice {
  /** The value `ORGKIT_TEST_DIALECTS` gets for the run. */
  dialects: TestDialect[]
  /** One line for each server left out, saying how to require it. */
  notices: string[]
}

/**
 * Which databases the suite runs on. `ORGKIT_TEST_DIALECTS` set: exactly those, and a server
 * it names that does not answer is an error (CI sets it, so a server that failed to start
 * fails the run instead of shrinking it). Unset: SQLite, plus each server that answers, with a
 * notice for each one that does not.
 */
export async function chooseDialects(options: {
  configured: string | undefined
  urls: Record<ServerDialect, string>
  answers?: (url: string, dialect: ServerDialect) => Promise<boolean>
}): Promise<DialectChoice> {
  const answers = options.answers ?? serverAnswers
  const configured = options.configured?.trim()
  const servers: ServerDialect[] = ['postgres', 'mysql']
  if (configured) {
    const required = servers.filter((dialect) =>
      configured
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .includes(dialect),
    )
    const missing = (
      await Promise.all(
        required.map(async (dialect) => ((await answers(options.urls[dialect], dialect)) ? [] : [dialect])),
      )
    ).flat()
    if (missing.length > 0) {
      throw new Error(
        missing
          .map(
            (dialect) =>
              `ORGKIT_TEST_DIALECTS=${configured} requires ${SERVER_NAMES[dialect]}, which does not answer at ${redact(options.urls[dialect])} (set ${URL_VARIABLES[dialect]}, start it, or leave it out of ORGKIT_TEST_DIALECTS)`,
          )
          .join('\n'),
      )
    }
    return { dialects: ['sqlite', ...required], notices: [] }
  }
  const found = await Promise.all(servers.map((dialect) => answers(options.urls[dialect], dialect)))
  return {
    dialects: ['sqlite', ...servers.filter((_, i) => found[i])],
    notices: servers
      .filter((_, i) => !found[i])
      .map(
        (dialect) =>
          `orgkit tests: no ${SERVER_NAMES[dialect]} at ${redact(options.urls[dialect])}, its runs are skipped (ORGKIT_TEST_DIALECTS=sqlite,postgres,mysql makes a missing server an error)`,
      ),
  }
}

/** A URL without its password, for a message. */
function redact(url: string): string {
  const parsed = new URL(url)
  if (parsed.password) parsed.password = '***'
  return parsed.toString()
}
