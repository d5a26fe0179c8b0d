import type { Bus } from './bus.js';

// Placeholder entry point so the import in index.ts type-checks until the Redis bus lands (issue 5).
export const RedisBus = {
  async connect(_url: string, _instanceId: string): Promise<Bus> {
    throw new Error('REDIS_URL is not supported yet');
  },
};
