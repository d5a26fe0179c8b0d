import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The Redis presence's Lua scripts. Each runs atomically on the server: a claim, a release or
 * the reaping of a dead instance's members is one step that no other instance can interleave with.
 *
 * Keys are built inside the scripts from a prefix (ARGV), so these suit one Redis server (or a
 * primary with replicas), not Redis Cluster.
 */

/**
 * Presence layout under prefix P:
 *   P presence:<set>          HASH  member → "<instance>\\n<owner>"
 *   P presence:<set>:order    ZSET  member → claim order (P presence:clock)
 *   P instance:<id>:members   SET   "<set>\\n<member>" claimed through instance <id>
 *   P instance:<id>:alive     STRING with a TTL, refreshed by the instance's heartbeat
 *   P instances               SET   instances that hold members
 *   P presence-changed:<set>  pubsub: members were removed (dead instance) or restored
 * An instance whose alive key expired is reaped: its members leave every set, once, here.
 */
const REAP = `
local P = ARGV[1]
local function reap(inst)
  local changed = {}
  local idx = P .. 'instance:' .. inst .. ':members'
  for _, entry in ipairs(redis.call('SMEMBERS', idx)) do
    local nl = string.find(entry, '\\n', 1, true)
    local set = string.sub(entry, 1, nl - 1)
    local member = string.sub(entry, nl + 1)
    local hash = P .. 'presence:' .. set
    local cur = redis.call('HGET', hash, member)
    if cur and string.sub(cur, 1, #inst + 1) == inst .. '\\n' then
      redis.call('HDEL', hash, member)
      redis.call('ZREM', hash .. ':order', member)
      changed[set] = true
    end
  end
  redis.call('DEL', idx)
  redis.call('SREM', P .. 'instances', inst)
  for set in pairs(changed) do redis.call('PUBLISH', P .. 'presence-changed:' .. set, '0\\n' .. inst) end
end
local function sweep()
  local n = 0
  for _, inst in ipairs(redis.call('SMEMBERS', P .. 'instances')) do
    if redis.call('EXISTS', P .. 'instance:' .. inst .. ':alive') == 0 then
      reap(inst)
      n = n + 1
    end
  end
  return n
end
`;

/** ARGV: prefix. Returns how many dead instances were reaped. */
export const SWEEP = REAP + `return sweep()`;

/** ARGV: prefix, set. Reaps the dead, then returns the members in claim order. */
export const MEMBERS = REAP + `
sweep()
return redis.call('ZRANGE', P .. 'presence:' .. ARGV[2] .. ':order', 0, -1)
`;

/** ARGV: prefix, set, member, owner, instance. 1 when the owner now holds the member. */
export const CLAIM = REAP + `
local set, member, owner, me = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local hash = P .. 'presence:' .. set
local cur = redis.call('HGET', hash, member)
if cur then
  local nl = string.find(cur, '\\n', 1, true)
  local inst = string.sub(cur, 1, nl - 1)
  if string.sub(cur, nl + 1) ~= owner then
    if redis.call('EXISTS', P .. 'instance:' .. inst .. ':alive') == 1 then return 0 end
    reap(inst)
    cur = redis.call('HGET', hash, member)
  elseif inst ~= me then
    -- The same owner (a resumed session) now lives on this instance.
    redis.call('SREM', P .. 'instance:' .. inst .. ':members', set .. '\\n' .. member)
  end
end
redis.call('HSET', hash, member, me .. '\\n' .. owner)
if not cur then redis.call('ZADD', hash .. ':order', redis.call('INCR', P .. 'presence:clock'), member) end
redis.call('SADD', P .. 'instance:' .. me .. ':members', set .. '\\n' .. member)
redis.call('SADD', P .. 'instances', me)
return 1
`;

/** ARGV: prefix, set, member, owner. */
export const RELEASE = `
local P, set, member, owner = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local hash = P .. 'presence:' .. set
local cur = redis.call('HGET', hash, member)
if not cur then return 0 end
local nl = string.find(cur, '\\n', 1, true)
if string.sub(cur, nl + 1) ~= owner then return 0 end
redis.call('HDEL', hash, member)
redis.call('ZREM', hash .. ':order', member)
redis.call('SREM', P .. 'instance:' .. string.sub(cur, 1, nl - 1) .. ':members', set .. '\\n' .. member)
return 1
`;

/**
 * The frame of the scripts that take triples of this instance's members (ARGV: prefix, instance,
 * then set, member, owner …): `each_held(change)` calls `change(set, member, owner, hash)` for each
 * and publishes presence-changed once for every set where it returned true — members that came or
 * went without a claim or release anyone announced.
 */
const EACH_HELD = `
local P, me = ARGV[1], ARGV[2]
local function each_held(change)
  local changed = {}
  for i = 3, #ARGV, 3 do
    local set = ARGV[i]
    if change(set, ARGV[i + 1], ARGV[i + 2], P .. 'presence:' .. set) then changed[set] = true end
  end
  for set in pairs(changed) do redis.call('PUBLISH', P .. 'presence-changed:' .. set, '0\\n' .. me) end
end
`;

/**
 * Makes releases this instance could not make while Redis was away: each member goes only if this
 * instance still holds it for that owner — a member another instance took over since (a session
 * resumed there) stays.
 */
export const RELEASE_HELD = EACH_HELD + `
each_held(function(set, member, owner, hash)
  if redis.call('HGET', hash, member) ~= me .. '\\n' .. owner then return false end
  redis.call('HDEL', hash, member)
  redis.call('ZREM', hash .. ':order', member)
  redis.call('SREM', P .. 'instance:' .. me .. ':members', set .. '\\n' .. member)
  return true
end)
return 1
`;

/** ARGV: prefix, instance, ttl ms. Refreshes the alive key; 0 when it had expired (others may have reaped us). */
export const HEARTBEAT = `
local key = ARGV[1] .. 'instance:' .. ARGV[2] .. ':alive'
local existed = redis.call('EXISTS', key)
redis.call('SET', key, '1', 'PX', ARGV[3])
redis.call('SADD', ARGV[1] .. 'instances', ARGV[2])
return existed
`;

/**
 * Puts back members this instance holds that are missing (reaped while it was cut off, or Redis
 * lost its data); never takes a member someone else holds now.
 */
export const RESTORE = EACH_HELD + `
each_held(function(set, member, owner, hash)
  if redis.call('HSETNX', hash, member, me .. '\\n' .. owner) == 0 then return false end
  redis.call('ZADD', hash .. ':order', redis.call('INCR', P .. 'presence:clock'), member)
  redis.call('SADD', P .. 'instance:' .. me .. ':members', set .. '\\n' .. member)
  return true
end)
redis.call('SADD', P .. 'instances', me)
return 1
`;

const shas = new Map<string, string>();

/** EVALSHA, falling back to EVAL when the server does not know the script (first run, or after a restart). */
export async function runScript(redis: Redis, script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  let sha = shas.get(script);
  if (!sha) shas.set(script, (sha = createHash('sha1').update(script).digest('hex')));
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return redis.eval(script, keys.length, ...keys, ...args);
  }
}
