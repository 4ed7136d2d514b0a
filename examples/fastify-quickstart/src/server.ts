import { bundleAdminScript, createDemoHost, exitOnStartupError, hostFromEnv, portFromEnv } from '@orgkit/example-shared'
import { createApp } from './app'

const name = 'orgkit Fastify quickstart'
try {
  const port = portFromEnv(process.env.PORT)
  const host = await createDemoHost({
    databaseUrl: process.env.DATABASE_URL,
    publicUrl: process.env.PUBLIC_URL ?? `http://localhost:${port}`,
  })
  // The admin page's script is bundled now, so that a mistake in it stops the start.
  await bundleAdminScript()
  const app = await createApp(host)
  await app.listen({ port, host: hostFromEnv(process.env.HOST) })
  console.log(`${name} on http://localhost:${port}/api (${host.label}, migrated)`)
  console.log(`Admin page: http://localhost:${port}/`)
  console.log('Demo login: POST /demo/users, then send x-user-id: <id>. Never do this in production.')
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void app.close().then(() => host.close()))
  }
} catch (error) {
  exitOnStartupError(name, error)
}
