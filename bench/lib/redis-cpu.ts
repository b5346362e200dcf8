// Redis's own CPU time (INFO cpu: user + system, all its threads), read before and after a load.
// Redis shares the machine's two cores with the target and the load generator: the wxgate and
// co-wechat-with-add targets spend Redis time on every push, the bare server none.
import { Redis } from 'ioredis';

export async function redisCpuMs(url: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const info = await redis.info('cpu');
    const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
    return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
  } finally {
    redis.disconnect();
  }
}
