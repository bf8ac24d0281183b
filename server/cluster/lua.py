"""The Lua scripts of the Redis dispatch state: one script per command, each atomic.

Redis runs a script with nothing else in between, so a command's check (is the agent ready, is
the case still waiting, is the offer still theirs) and its writes are one step for every node.
Every key starts with the configured prefix in a hash tag (``{prefix}:``), so all keys of one
state share a slot and a script may name them from its arguments (also on Redis Cluster).

Layout under the prefix P:
  P agents              set of agent ids        P agent:<id>   hash (profile, max, presence,
  P cases:<agent>       set of the agent's cases               online, idle_since, lost_at,
  P queues              set of queue names                     grace_until)
  P queue:<name>        set of waiting case ids P entry:<case> hash (queue, priority, front,
  P offers              set of offered case ids                enqueued_at, seq)
  P offer:<case>        hash (agent, offered_at, expires_at)
  P ringing:<agent>     the case the agent is being offered
  P rev                 bumped by every command: the state's revision (a total order)
  P enq                 enqueue counter (ties in a queue keep the order they were enqueued in)

Numbers are stored as the strings Python wrote (``repr`` of a float), so nothing is rounded.
Every command's reply is ``{revision, result...}``; ``false`` (nil) means refused.
"""

from __future__ import annotations

PRELUDE = r"""
local P = ARGV[1]
local function bump() return redis.call('INCR', P .. 'rev') end
local function agent_reply(id)
  local a = P .. 'agent:' .. id
  if redis.call('EXISTS', a) == 0 then return false end
  return {id, redis.call('HGETALL', a), redis.call('SMEMBERS', P .. 'cases:' .. id)}
end
local function entry_reply(case)
  local e = redis.call('HGETALL', P .. 'entry:' .. case)
  if #e == 0 then return false end
  return {case, e}
end
local function offer_reply(case)
  local o = redis.call('HGETALL', P .. 'offer:' .. case)
  if #o == 0 then return false end
  return {case, o}
end
local function take_offer(case)
  local k = P .. 'offer:' .. case
  local reply = offer_reply(case)
  if not reply then return false end
  local agent = redis.call('HGET', k, 'agent')
  redis.call('DEL', k)
  redis.call('SREM', P .. 'offers', case)
  if redis.call('GET', P .. 'ringing:' .. agent) == case then
    redis.call('DEL', P .. 'ringing:' .. agent)
  end
  return reply
end
local function dequeue(case)
  local reply = entry_reply(case)
  if not reply then return false end
  local k = P .. 'entry:' .. case
  redis.call('SREM', P .. 'queue:' .. redis.call('HGET', k, 'queue'), case)
  redis.call('DEL', k)
  return reply
end
"""

#: command name -> body (after the prelude); ARGV[1] is always the prefix
COMMANDS: dict[str, str] = {
    # ------------------------------------------------------------------ queues
    "enqueue": r"""
local rev = bump()
local case, queue = ARGV[2], ARGV[3]
dequeue(case)
local seq = redis.call('INCR', P .. 'enq')
redis.call('HSET', P .. 'entry:' .. case, 'queue', queue, 'priority', ARGV[4], 'front', ARGV[5],
           'enqueued_at', ARGV[6], 'seq', seq)
redis.call('SADD', P .. 'queue:' .. queue, case)
redis.call('SADD', P .. 'queues', queue)
return {rev, entry_reply(case)}
""",
    "dequeue": r"""
local rev = bump()
return {rev, dequeue(ARGV[2])}
""",
    # ------------------------------------------------------------------ agents
    "connect_agent": r"""
local rev = bump()
local id, profile, max, now = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local a = P .. 'agent:' .. id
local online = redis.call('HGET', a, 'online')
local lost = redis.call('HGET', a, 'lost_at')
if not online or (online == '0' and lost == '') then
  redis.call('DEL', P .. 'cases:' .. id)
  redis.call('HSET', a, 'presence', 'away', 'idle_since', now)
end
redis.call('HSET', a, 'profile', profile, 'max', max, 'online', '1', 'lost_at', '',
           'grace_until', '')
redis.call('SADD', P .. 'agents', id)
return {rev, agent_reply(id)}
""",
    "disconnect_agent": r"""
local rev = bump()
local id, now = ARGV[2], ARGV[3]
local a = P .. 'agent:' .. id
if redis.call('EXISTS', a) == 0 then return {rev, false} end
local lost = ''
if redis.call('SCARD', P .. 'cases:' .. id) > 0 then lost = now end
redis.call('HSET', a, 'online', '0', 'lost_at', lost)
return {rev, agent_reply(id)}
""",
    "set_presence": r"""
local rev = bump()
local id, presence, now = ARGV[2], ARGV[3], ARGV[4]
local a = P .. 'agent:' .. id
local current = redis.call('HGET', a, 'presence')
if not current then return {rev, false} end
if presence == 'available' and current ~= 'available'
   and redis.call('SCARD', P .. 'cases:' .. id) == 0 then
  redis.call('HSET', a, 'idle_since', now)
end
redis.call('HSET', a, 'presence', presence)
return {rev, agent_reply(id)}
""",
    "release": r"""
local rev = bump()
local id, case, now = ARGV[2], ARGV[3], ARGV[4]
local a = P .. 'agent:' .. id
if redis.call('EXISTS', a) == 0 then return {rev, false} end
redis.call('SREM', P .. 'cases:' .. id, case)
if redis.call('SCARD', P .. 'cases:' .. id) == 0 then redis.call('HSET', a, 'idle_since', now) end
return {rev, agent_reply(id)}
""",
    "settle_lost_agent": r"""
local rev = bump()
local id = ARGV[2]
local a = P .. 'agent:' .. id
if redis.call('EXISTS', a) == 0 then return {rev, false} end
for i = 3, #ARGV do redis.call('SREM', P .. 'cases:' .. id, ARGV[i]) end
redis.call('HSET', a, 'lost_at', '', 'grace_until', '')
return {rev, agent_reply(id)}
""",
    "restore_agent": r"""
local rev = bump()
local id, profile, max, case, now, grace = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local a = P .. 'agent:' .. id
if redis.call('EXISTS', a) == 0 then
  redis.call('DEL', P .. 'cases:' .. id)
  redis.call('HSET', a, 'profile', profile, 'max', max, 'presence', 'away', 'online', '0',
             'idle_since', now, 'lost_at', now, 'grace_until', grace)
  redis.call('SADD', P .. 'agents', id)
end
redis.call('SADD', P .. 'cases:' .. id, case)
return {rev, agent_reply(id)}
""",
    # ------------------------------------------------------------------ offers
    "offer": r"""
local rev = bump()
local case, agent = ARGV[2], ARGV[3]
if redis.call('EXISTS', P .. 'entry:' .. case) == 0
   or redis.call('EXISTS', P .. 'offer:' .. case) == 1
   or redis.call('EXISTS', P .. 'ringing:' .. agent) == 1 then
  return {rev, false}
end
local st = redis.call('HMGET', P .. 'agent:' .. agent, 'online', 'presence', 'max')
if st[1] ~= '1' or st[2] ~= 'available'
   or redis.call('SCARD', P .. 'cases:' .. agent) >= tonumber(st[3]) then
  return {rev, false}
end
redis.call('HSET', P .. 'offer:' .. case, 'agent', agent, 'offered_at', ARGV[4],
           'expires_at', ARGV[5])
redis.call('SADD', P .. 'offers', case)
redis.call('SET', P .. 'ringing:' .. agent, case)
return {rev, offer_reply(case)}
""",
    "accept": r"""
local rev = bump()
local case, agent, now = ARGV[2], ARGV[3], ARGV[4]
local o = redis.call('HMGET', P .. 'offer:' .. case, 'agent', 'expires_at')
if not o[1] or o[1] ~= agent or tonumber(o[2]) <= tonumber(now)
   or redis.call('EXISTS', P .. 'agent:' .. agent) == 0 then
  return {rev, false}
end
take_offer(case)
dequeue(case)
redis.call('SADD', P .. 'cases:' .. agent, case)
return {rev, agent_reply(agent)}
""",
    "decline": r"""
local rev = bump()
local case, agent = ARGV[2], ARGV[3]
if redis.call('HGET', P .. 'offer:' .. case, 'agent') ~= agent then return {rev, false} end
return {rev, take_offer(case)}
""",
    "withdraw": r"""
local rev = bump()
return {rev, take_offer(ARGV[2])}
""",
    "expire": r"""
local rev = bump()
local case, now = ARGV[2], ARGV[3]
local o = redis.call('HMGET', P .. 'offer:' .. case, 'agent', 'expires_at')
if not o[1] or tonumber(o[2]) > tonumber(now) then return {rev, false} end
local offer = take_offer(case)
local away = 0
local a = P .. 'agent:' .. o[1]
if redis.call('HGET', a, 'presence') == 'available' then
  redis.call('HSET', a, 'presence', 'away')
  away = 1
end
return {rev, offer, away, agent_reply(o[1])}
""",
}

#: read-only scripts: one consistent snapshot each, no revision bump
READS: dict[str, str] = {
    "agent": "return agent_reply(ARGV[2])",
    "agents": r"""
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', P .. 'agents')) do
  local reply = agent_reply(id)
  if reply then table.insert(out, reply) end
end
return out
""",
    "entry": "return entry_reply(ARGV[2])",
    "waiting": r"""
local out = {}
for _, case in ipairs(redis.call('SMEMBERS', P .. 'queue:' .. ARGV[2])) do
  local reply = entry_reply(case)
  if reply then table.insert(out, reply) end
end
return out
""",
    "queue_names": "return redis.call('SMEMBERS', P .. 'queues')",
    "offer_for_case": "return offer_reply(ARGV[2])",
    "offer_for_agent": r"""
local case = redis.call('GET', P .. 'ringing:' .. ARGV[2])
if not case then return false end
return offer_reply(case)
""",
    "offers": r"""
local out = {}
for _, case in ipairs(redis.call('SMEMBERS', P .. 'offers')) do
  local reply = offer_reply(case)
  if reply then table.insert(out, reply) end
end
return out
""",
}
