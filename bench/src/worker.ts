/**
 * One system in a process of its own, so that its peak RSS is its own:
 * `worker.ts <system>` prints a `SystemResult` as JSON on its last line of stdout;
 * `worker.ts http-server <framework>` prints `{ port, org, userId }` and serves until ended;
 * `worker.ts invitation-emails <database>` prints an `InvitationEmailsResult`;
 * `worker.ts postgres-network <orgkit|better-auth> <direct|proxy> <url>` prints a `PostgresNetworkResult`;
 * `worker.ts write-profile` prints a `WriteProfileResult`.
 */
import { type EmailBenchDatabase, runInvitationEmails } from './invitation-emails'
import { benchSettings } from './measure'
import { type NetworkPath, type NetworkSystem, runPostgresNetwork } from './postgres-network'
import { PG_URL, runSystem, serveHttp } from './systems'
import { runWriteProfile } from './write-profile'

const settings = benchSettings(process.argv, process.env)
const [system = '', framework = 'express'] = process.argv.slice(2)
if (system === 'http-server') {
  const server = await serveHttp(framework, settings)
  // Ended by the parent: close the server and remove the database file before leaving.
  process.once('SIGTERM', () => {
    server.close().finally(() => process.exit(0))
  })
  console.log(JSON.stringify({ port: server.port, org: server.org, userId: server.userId }))
} else if (system === 'invitation-emails') {
  console.log(JSON.stringify(await runInvitationEmails(framework as EmailBenchDatabase, settings)))
} else if (system === 'postgres-network') {
  const [, , path = 'direct', url = PG_URL] = process.argv.slice(2)
  console.log(
    JSON.stringify(await runPostgresNetwork(framework as NetworkSystem, path as NetworkPath, url, PG_URL, settings)),
  )
} else if (system === 'write-profile') {
  console.log(JSON.stringify(await runWriteProfile(settings)))
} else {
  console.log(JSON.stringify(await runSystem(system, settings)))
}
