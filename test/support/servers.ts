/**
 * Where the suite finds its database servers: `ORGKIT_TEST_PG_URL` and
 * `ORGKIT_TEST_MYSQL_URL`, or the local defaults. Apart from `databases.ts` so that the
 * global setup can probe them without loading the drivers.
 */
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test'
const DEFAULT_MYSQL_URL = 'mysql://root@127.0.0.1:3306/test'

export const postgresTestUrl = () => process.env.ORGKIT_TEST_PG_URL ?? DEFAULT_PG_URL
export const mysqlTestUrl = () => process.env.ORGKIT_TEST_MYSQL_URL ?? DEFAULT_MYSQL_URL
