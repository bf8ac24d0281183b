"""The Lua scripts of the Redis dispatch state: one script per command, each atomic.

Redis runs a script with nothing else in between, so a command's check (is the agent ready, is
the case still waiting, is the offer still theirs) and its writes are one step for every node.
Every key starts with the configured prefix in a hash tag (``{prefix}:``), so all keys of one
state share a slot and a script may name them from its arguments (also on Redis Cluster).

Layout under the prefix P:
  P agents              set of agent ids        P agent:<id>   hash (profile, max, presence,
  P cases:<agent>       set of the agent's cases               online, idle_since, lost_at,
  P queues              set of queue names                     grace_until, node)
  P queue:<name>        set of waiting case ids P entry:<case> hash (queue, priority, front,
  P offers              set of offered case ids                enqueued_at, seq, node)
  P offer:<case>        hash (agent, offered_at, expires_at, node)
  P ringing:<agent>     the case the agent is being offered
  P rev                 bumped by every command: the state's revision (a total order)
  P epoch               set with the first revision: a new one means the state was lost
  P enq                 enqueue counter (ties in a queue keep the order they were enqueued in)
  P feed                the change feed: a stream, one entry per revision (ID ``<rev>-0``) with
                        the node, the command, the epoch and the resulting values (``fx``)
  P done:<command id>   a command's reply, kept ``applied_ttl`` seconds: a repeat answers it

A command's arguments are ARGV[1] the prefix, ARGV[2] the node id, ARGV[3] the command id (empty:
none), ARGV[4] the TTL of the applied id, ARGV[5] the feed's MAXLEN, then its own (``A[1]...``).
Every command's reply is ``{revision, fx, result...}``; ``false`` (nil) means refused. ``fx`` is
JSON: ``{"a": {agent: agent|false}, "e": {case: entry|false}, "o": {case: offer|false},
"ep": epoch}``: the values the command touched (also when it was refused) as they are afterwards,
what the node takes as the shared truth and every other node applies to its view.
Numbers are stored as the strings Python wrote (``repr`` of a float), so nothing is rounded.
"""

from __future__ import annotations

#: what reads and commands share: the prefix and the value replies
BASE = r"""
local P = ARGV[1]
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
"""

#: before every command: a repeated command id answers the stored reply and changes nothing
PRELUDE = BASE + r"""
local NODE, ID, TTL, MAXLEN = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if ID ~= '' then
  local seen = redis.call('GET', P .. 'done:' .. ID)
  if seen then return cjson.decode(seen) end
end
local A = {}
for i = 6, #ARGV do A[i - 5] = ARGV[i] end
local function bump()
  local rev = redis.call('INCR', P .. 'rev')
  if redis.call('EXISTS', P .. 'epoch') == 0 then
    local t = redis.call('TIME')
    redis.call('SET', P .. 'epoch', t[1] .. '.' .. t[2])
  end
  return rev
end
local REV = bump()
local function done(cmd, result, agents, cases)
  local fx = {a = {}, e = {}, o = {}, ep = redis.call('GET', P .. 'epoch')}
  for _, id in ipairs(agents) do fx.a[id] = agent_reply(id) end
  for _, case in ipairs(cases) do
    fx.e[case] = entry_reply(case)
    fx.o[case] = offer_reply(case)
  end
  local encoded = cjson.encode(fx)
  redis.call('XADD', P .. 'feed', 'MAXLEN', '~', MAXLEN, REV .. '-0', 'node', NODE, 'cmd', cmd,
             'ep', fx.ep, 'fx', encoded)
  local reply = {REV, encoded}
  for i = 1, #result do reply[i + 2] = result[i] end
  if ID ~= '' then
    redis.call('SET', P .. 'done:' .. ID, cjson.encode(reply), 'EX', TTL)
  end
  return reply
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
local function put_entry(case, queue, priority, front, enqueued_at)
  dequeue(case)
  local seq = redis.call('INCR', P .. 'enq')
  redis.call('HSET', P .. 'entry:' .. case, 'queue', queue, 'priority', priority, 'front', front,
             'enqueued_at', enqueued_at, 'seq', seq, 'node', NODE)
  redis.call('SADD', P .. 'queue:' .. queue, case)
  redis.call('SADD', P .. 'queues', queue)
end
local function put_offer(case, agent, offered_at, expires_at)
  redis.call('HSET', P .. 'offer:' .. case, 'agent', agent, 'offered_at', offered_at,
             'expires_at', expires_at, 'node', NODE)
  redis.call('SADD', P .. 'offers', case)
  redis.call('SET', P .. 'ringing:' .. agent, case)
end
local function forget_agent(id)
  local ringing = redis.call('GET', P .. 'ringing:' .. id)
  if ringing then take_offer(ringing) end
  redis.call('DEL', P .. 'agent:' .. id, P .. 'cases:' .. id)
  redis.call('SREM', P .. 'agents', id)
  return ringing
end
-- every value a node (by id) wrote last goes; what went is added to agents and cases
local function forget(gone, agents, cases)
  for _, id in ipairs(redis.call('SMEMBERS', P .. 'agents')) do
    if redis.call('HGET', P .. 'agent:' .. id, 'node') == gone then
      local ringing = forget_agent(id)
      if ringing then table.insert(cases, ringing) end
      table.insert(agents, id)
    end
  end
  for _, queue in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
    for _, case in ipairs(redis.call('SMEMBERS', P .. 'queue:' .. queue)) do
      if redis.call('HGET', P .. 'entry:' .. case, 'node') == gone then
        dequeue(case)
        take_offer(case)
        table.insert(cases, case)
      end
    end
  end
  for _, case in ipairs(redis.call('SMEMBERS', P .. 'offers')) do
    if redis.call('HGET', P .. 'offer:' .. case, 'node') == gone then
      take_offer(case)
      table.insert(cases, case)
    end
  end
end
"""

#: command name -> body (after the prelude)
COMMANDS: dict[str, str] = {
    # ------------------------------------------------------------------ queues
    "enqueue": r"""
local case = A[1]
put_entry(case, A[2], A[3], A[4], A[5])
return done('enqueue', {entry_reply(case)}, {}, {case})
""",
    "dequeue": r"""
return done('dequeue', {dequeue(A[1])}, {}, {A[1]})
""",
    # ------------------------------------------------------------------ agents
    "connect_agent": r"""
local id, profile, max, now = A[1], A[2], A[3], A[4]
local a = P .. 'agent:' .. id
local online = redis.call('HGET', a, 'online')
local lost = redis.call('HGET', a, 'lost_at')
if not online or (online == '0' and lost == '') then
  redis.call('DEL', P .. 'cases:' .. id)
  redis.call('HSET', a, 'presence', 'away', 'idle_since', now)
end
redis.call('HSET', a, 'profile', profile, 'max', max, 'online', '1', 'lost_at', '',
           'grace_until', '', 'node', NODE)
redis.call('SADD', P .. 'agents', id)
return done('connect_agent', {agent_reply(id)}, {id}, {})
""",
    "disconnect_agent": r"""
local id, now = A[1], A[2]
local a = P .. 'agent:' .. id
if redis.call('EXISTS', a) == 0 then return done('disconnect_agent', {false}, {id}, {}) end
local lost = ''
if redis.call('SCARD', P .. 'cases:' .. id) > 0 then lost = now end
redis.call('HSET', a, 'online', '0', 'lost_at', lost)
return done('disconnect_agent', {agent_reply(id)}, {id}, {})
""",
    "set_presence": r"""
local id, presence, now = A[1], A[2], A[3]
local a = P .. 'agent:' .. id
local current = redis.call('HGET', a, 'presence')
if not current then return done('set_presence', {false}, {id}, {}) end
if presence == 'available' and current ~= 'available'
   and redis.call('SCARD', P .. 'cases:' .. id) == 0 then
  redis.call('HSET', a, 'idle_since', now)
end
redis.call('HSET', a, 'presence', presence)
return done('set_presence', {agent_reply(id)}, {id}, {})
""",
    "release": r"""
local id, case, now = A[1], A[2], A[3]
local a = P .. 'agent:' .. id
if redis.call('EXISTS', a) == 0 then return done('release', {false}, {id}, {}) end
redis.call('SREM', P .. 'cases:' .. id, case)
if redis.call('SCARD', P .. 'cases:' .. id) == 0 then redis.call('HSET', a, 'idle_since', now) end
return done('release', {agent_reply(id)}, {id}, {})
""",
    "settle_lost_agent": r"""
local id = A[1]
local a = P .. 'agent:' .. id
if redis.call('EXISTS', a) == 0 then return done('settle_lost_agent', {false}, {id}, {}) end
for i = 2, #A do redis.call('SREM', P .. 'cases:' .. id, A[i]) end
redis.call('HSET', a, 'lost_at', '', 'grace_until', '')
return done('settle_lost_agent', {agent_reply(id)}, {id}, {})
""",
    "restore_agent": r"""
local id, profile, max, case, now, grace = A[1], A[2], A[3], A[4], A[5], A[6]
local a = P .. 'agent:' .. id
if redis.call('EXISTS', a) == 0 then
  redis.call('DEL', P .. 'cases:' .. id)
  redis.call('HSET', a, 'profile', profile, 'max', max, 'presence', 'away', 'online', '0',
             'idle_since', now, 'lost_at', now, 'grace_until', grace, 'node', NODE)
  redis.call('SADD', P .. 'agents', id)
end
redis.call('SADD', P .. 'cases:' .. id, case)
return done('restore_agent', {agent_reply(id)}, {id}, {})
""",
    # ------------------------------------------------------------------ offers
    "offer": r"""
local case, agent = A[1], A[2]
if redis.call('EXISTS', P .. 'entry:' .. case) == 0
   or redis.call('EXISTS', P .. 'offer:' .. case) == 1
   or redis.call('EXISTS', P .. 'ringing:' .. agent) == 1 then
  return done('offer', {false}, {agent}, {case})
end
local st = redis.call('HMGET', P .. 'agent:' .. agent, 'online', 'presence', 'max')
if st[1] ~= '1' or st[2] ~= 'available'
   or redis.call('SCARD', P .. 'cases:' .. agent) >= tonumber(st[3]) then
  return done('offer', {false}, {agent}, {case})
end
put_offer(case, agent, A[3], A[4])
return done('offer', {offer_reply(case)}, {agent}, {case})
""",
    "accept": r"""
local case, agent, now = A[1], A[2], A[3]
local o = redis.call('HMGET', P .. 'offer:' .. case, 'agent', 'expires_at')
if not o[1] or o[1] ~= agent or tonumber(o[2]) <= tonumber(now)
   or redis.call('EXISTS', P .. 'agent:' .. agent) == 0 then
  return done('accept', {false}, {agent}, {case})
end
take_offer(case)
dequeue(case)
redis.call('SADD', P .. 'cases:' .. agent, case)
return done('accept', {agent_reply(agent)}, {agent}, {case})
""",
    "decline": r"""
local case, agent = A[1], A[2]
if redis.call('HGET', P .. 'offer:' .. case, 'agent') ~= agent then
  return done('decline', {false}, {}, {case})
end
return done('decline', {take_offer(case)}, {}, {case})
""",
    "withdraw": r"""
return done('withdraw', {take_offer(A[1])}, {}, {A[1]})
""",
    "expire": r"""
local case, now = A[1], A[2]
local o = redis.call('HMGET', P .. 'offer:' .. case, 'agent', 'expires_at')
if not o[1] or tonumber(o[2]) > tonumber(now) then return done('expire', {false}, {}, {case}) end
local offer = take_offer(case)
local away = 0
local a = P .. 'agent:' .. o[1]
if redis.call('HGET', a, 'presence') == 'available' then
  redis.call('HSET', a, 'presence', 'away')
  away = 1
end
return done('expire', {offer, away, agent_reply(o[1])}, {o[1]}, {case})
""",
    # ------------------------------------------------------------------ the node's own values
    # after the state was lost (a Redis restart): the node writes back what it holds itself;
    # A[1] is JSON {agents: [[id, profile, max, presence, online, idle_since, lost_at,
    # grace_until, [cases]]], entries: [[case, queue, priority, front, enqueued_at]],
    # offers: [[case, agent, offered_at, expires_at]]}; A[2] '1': first forget what this node
    # wrote before (a node whose journal overflowed writes its whole view instead)
    "seed": r"""
local own = cjson.decode(A[1])
local agents, cases = {}, {}
if A[2] == '1' then forget(NODE, agents, cases) end
for _, v in ipairs(own.agents) do
  local id, a = v[1], P .. 'agent:' .. v[1]
  redis.call('DEL', a, P .. 'cases:' .. id)
  redis.call('HSET', a, 'profile', v[2], 'max', v[3], 'presence', v[4], 'online', v[5],
             'idle_since', v[6], 'lost_at', v[7], 'grace_until', v[8], 'node', NODE)
  for _, case in ipairs(v[9]) do redis.call('SADD', P .. 'cases:' .. id, case) end
  redis.call('SADD', P .. 'agents', id)
  table.insert(agents, id)
end
for _, v in ipairs(own.entries) do
  put_entry(v[1], v[2], v[3], v[4], v[5])
  table.insert(cases, v[1])
end
for _, v in ipairs(own.offers) do
  take_offer(v[1])
  put_offer(v[1], v[2], v[3], v[4])
  table.insert(cases, v[1])
end
return done('seed', {#agents + #cases}, agents, cases)
""",
    # a node starting again: what its previous run (the same node id) held goes
    "forget_node": r"""
local agents, cases = {}, {}
forget(A[1], agents, cases)
return done('forget_node', {#agents + #cases}, agents, cases)
""",
}

#: read-only scripts: one consistent snapshot each, no revision bump; ARGV[2...] their arguments
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
    # the whole state at one revision: {rev, epoch, agents, entries, offers}
    "snapshot": r"""
local agents, entries, offers = {}, {}, {}
for _, id in ipairs(redis.call('SMEMBERS', P .. 'agents')) do
  local reply = agent_reply(id)
  if reply then table.insert(agents, reply) end
end
for _, queue in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
  for _, case in ipairs(redis.call('SMEMBERS', P .. 'queue:' .. queue)) do
    local reply = entry_reply(case)
    if reply then table.insert(entries, reply) end
  end
end
for _, case in ipairs(redis.call('SMEMBERS', P .. 'offers')) do
  local reply = offer_reply(case)
  if reply then table.insert(offers, reply) end
end
return {tonumber(redis.call('GET', P .. 'rev') or '0'), redis.call('GET', P .. 'epoch') or '',
        agents, entries, offers}
""",
}
