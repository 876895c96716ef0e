import { createClient } from 'redis';

/** The test Redis; CI sets HELIOS_TEST_REDIS_URL, the default is the local development one. */
export const TEST_REDIS_URL = process.env.HELIOS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Checks that the test Redis answers. Redis tests never skip: an unreachable server fails
 * them, with the address in the message.
 */
export async function checkTestRedis(): Promise<void> {
  // No reconnection: a refused connection must fail now, not retry forever.
  const client = createClient({
    url: TEST_REDIS_URL,
    socket: { connectTimeout: 3_000, reconnectStrategy: false },
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(
      `Redis is unreachable at ${TEST_REDIS_URL} (set HELIOS_TEST_REDIS_URL): ${String(error)}`,
      { cause: error },
    );
  } finally {
    await client.close().catch(() => {});
  }
}
