import { describeConnectionLoss } from '../../shared/test/connection-loss-suite'
import { createApp } from '../src/app'

describeConnectionLoss('Fastify', async (host) => {
  const app = await createApp(host)
  return { url: await app.listen({ port: 0, host: '127.0.0.1' }), close: () => app.close() }
})
