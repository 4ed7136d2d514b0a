import { describeAdminInBrowser } from '../../shared/test/admin-browser'
import { createApp } from '../src/app'

describeAdminInBrowser('Fastify', async (host) => {
  const app = await createApp(host)
  return { url: await app.listen({ port: 0, host: '127.0.0.1' }), close: () => app.close() }
})
