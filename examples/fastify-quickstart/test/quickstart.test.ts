import { describeQuickstart } from '../../shared/test/quickstart-suite'
import { createApp } from '../src/app'

// A real listening server, the way `npm run start:fastify` runs it, not `inject`: the
// suite speaks HTTP to both apps alike.
describeQuickstart('Fastify', async (host) => {
  const app = await createApp(host)
  return { url: await app.listen({ port: 0, host: '127.0.0.1' }), close: () => app.close() }
})
