import { Redis } from 'ioredis';
import { type RedisServer, startRedisServer } from './redis-server.js';

/** A throw-away Redis Sentinel set-up on loopback: one master, one replica, some sentinels. */
export interface RedisSentinelSetup {
  /** The master group name the sentinels monitor. */
  name: string;
  master: RedisServer;
  replica: RedisServer;
  sentinels: RedisServer[];
  /** `{ host, port }` of each sentinel, for `new RedisCache({ sentinel: { sentinels, name } })`. */
  addresses: Array<{ host: string; port: number }>;
  /** `redis+sentinel://127.0.0.1:s1,.../<name>`. */
  url: string;
  /** The port of the master as the first sentinel reports it now. */
  masterPort(): Promise<number>;
  stop(): Promise<void>;
}

/** Poll `check` (bounded) until it is true; `what` names it when it never becomes so. */
export async function until(what: string, check: () => Promise<boolean>, rounds = 600): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Start a master, a replica of it (`--replicaof`) and `count` sentinels (`redis-server <file>
 * --sentinel`, quorum: a majority) with `down-after-milliseconds` 1000 (short, yet no false alarm
 * on a busy machine) and `failover-timeout` 3000, so that a killed master is replaced within seconds. Resolves once the replica is in sync
 * and every sentinel knows the replica and the other sentinels (a failover needs both).
 */
export async function startRedisSentinel(count = 3, name = 'mymaster'): Promise<RedisSentinelSetup> {
  const servers: RedisServer[] = [];
  const clients: Redis[] = [];
  const stop = async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    const master = await startRedisServer();
    servers.push(master);
    const replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    servers.push(replica);
    const replicaClient = quiet(new Redis(replica.port, '127.0.0.1'));
    await until('the replica to sync', async () =>
      (await replicaClient.info('replication')).includes('master_link_status:up'),
    );
    replicaClient.disconnect();
    const quorum = Math.floor(count / 2) + 1;
    const config = [
      'port {port}',
      'bind 127.0.0.1',
      'dir {dir}',
      `sentinel monitor ${name} 127.0.0.1 ${master.port} ${quorum}`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 3000`,
      `sentinel parallel-syncs ${name} 1`,
      '',
    ].join('\n');
    const sentinels: RedisServer[] = [];
    for (let i = 0; i < count; i++) {
      const s = await startRedisServer({ sentinelConfig: config });
      sentinels.push(s);
      servers.push(s);
    }
    const sentinelClients = sentinels.map((s) => quiet(new Redis(s.port, '127.0.0.1')));
    clients.push(...sentinelClients);
    await until('the sentinels to know the replica and each other', async () => {
      for (const c of sentinelClients) {
        const replicas = (await c.call('SENTINEL', 'REPLICAS', name)) as unknown[];
        const peers = (await c.call('SENTINEL', 'SENTINELS', name)) as unknown[];
        if (replicas.length !== 1 || peers.length !== count - 1) return false;
      }
      return true;
    });
    const addresses = sentinels.map((s) => ({ host: '127.0.0.1', port: s.port }));
    return {
      name,
      master,
      replica,
      sentinels,
      addresses,
      url: `redis+sentinel://${addresses.map((a) => `${a.host}:${a.port}`).join(',')}/${name}`,
      masterPort: async () => {
        const [, port] = (await sentinelClients[0]!.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [
          string,
          string,
        ];
        return Number(port);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A client whose connection errors (a server killed on purpose) are not printed by ioredis. */
function quiet(client: Redis): Redis {
  client.on('error', () => {});
  return client;
}
