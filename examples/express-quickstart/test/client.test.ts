import type { AddressInfo } from 'node:net'
import { describeClient } from '../../shared/test/client-suite'
import { createApp } from '../src/app'

describeClient('Express', async (host) => {
  const server = createApp(host).listen(0, '127.0.0.1')
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
})
