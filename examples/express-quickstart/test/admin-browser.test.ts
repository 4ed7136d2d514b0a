import type { AddressInfo } from 'node:net'
import { describeAdminInBrowser } from '../../shared/test/admin-browser'
import { createApp } from '../src/app'

// The README's screenshot is of this app (`ORGKIT_UPDATE_SCREENSHOT=1` rewrites it).
describeAdminInBrowser(
  'Express',
  async (host) => {
    const server = createApp(host).listen(0, '127.0.0.1')
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject))
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    }
  },
  { screenshot: true },
)
