import type { AddressInfo } from 'node:net'
import { describeConnectionLoss } from '../../shared/test/connection-loss-suite'
import { createApp } from '../src/app'

describeConnectionLoss('Express', async (host) => {
  const server = createApp(host).listen(0, '127.0.0.1')
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
})
