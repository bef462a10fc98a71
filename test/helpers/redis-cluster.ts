import { Redis } from 'ioredis';
import { freePort, type RedisServer, startRedisServer } from './redis-server.js';

/** A throw-away Redis Cluster of `redis-server --cluster-enabled yes` processes on loopback. */
export interface RedisCluster {
  /** The masters, slots split evenly in order. */
  nodes: RedisServer[];
  /** `{ host, port }` of each master, for `new RedisCache({ cluster })`. */
  addresses: Array<{ host: string; port: number }>;
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,...`. */
  url: string;
  stop(): Promise<void>;
}

const SLOTS = 16_384;

/**
 * Start `masters` cluster-enabled servers (random ports, bus ports chosen explicitly so that
 * port + 10000 never overflows), give each an even share of the slots with CLUSTER ADDSLOTSRANGE,
 * join them with CLUSTER MEET and wait until every node reports `cluster_state:ok`. No replicas;
 * only redis-server is needed (not redis-cli).
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  const clients: Redis[] = [];
  const stop = async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    const buses: number[] = [];
    for (let i = 0; i < masters; i++) {
      const bus = await freePort();
      buses.push(bus);
      nodes.push(
        await startRedisServer({
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            // No failover is tested here: a long timeout keeps a busy machine from marking a node failed.
            '--cluster-node-timeout',
            '5000',
            '--cluster-port',
            String(bus),
          ],
        }),
      );
    }
    for (const n of nodes) clients.push(new Redis(n.port, '127.0.0.1', { lazyConnect: false }));
    const share = Math.ceil(SLOTS / masters);
    await Promise.all(
      clients.map((c, i) =>
        c.call('CLUSTER', 'ADDSLOTSRANGE', String(i * share), String(Math.min(SLOTS, (i + 1) * share) - 1)),
      ),
    );
    for (let i = 1; i < masters; i++) {
      await clients[0]!.call('CLUSTER', 'MEET', '127.0.0.1', String(nodes[i]!.port), String(buses[i]));
    }
    // Gossip spreads the meeting; poll (bounded) until all agree that the cluster is whole.
    for (let round = 0; ; round++) {
      const infos = await Promise.all(clients.map((c) => c.call('CLUSTER', 'INFO') as Promise<string>));
      if (infos.every((i) => i.includes('cluster_state:ok') && i.includes(`cluster_known_nodes:${masters}`)))
        break;
      if (round >= 400) throw new Error(`the cluster did not form:\n${infos.join('\n')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    for (const c of clients.splice(0)) c.disconnect();
    const addresses = nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
    return {
      nodes,
      addresses,
      url: `redis+cluster://${addresses.map((a) => `${a.host}:${a.port}`).join(',')}`,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
