import type { Config } from '../config.js';
import type { Bus } from './bus.js';
import { MemoryBus } from './memory-bus.js';

export type { Bus, BusMessage, BusListener, Presence } from './bus.js';

/** Chooses the bus once from config: Redis when REDIS_URL is set, in-process otherwise. */
export async function createBus(
  config: Pick<Config, 'redisUrl' | 'instanceId'> & Partial<Pick<Config, 'redisPrefix'>>,
  options: { onError?: (err: Error) => void } = {},
): Promise<Bus> {
  if (config.redisUrl === undefined) return new MemoryBus();
  const { RedisBus } = await import('./redis-bus.js');
  return RedisBus.connect(config.redisUrl, config.instanceId, { prefix: config.redisPrefix, onError: options.onError });
}
