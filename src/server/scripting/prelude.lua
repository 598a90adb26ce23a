-- Run once when a scripting VM starts (chunk name "=sonde"). It receives
-- the real globals table and the Rust callbacks, builds the `redis` API
-- around them, and locks the sandbox: scripts see globals through a
-- read-only proxy, reading a missing global is an error, and the library
-- tables cannot be changed.
local G, raw, mode = ...

local dbg = debug
G.debug = nil
G.print, G.dofile, G.loadfile = nil, nil, nil

local type, tostring, error, xpcall, select = type, tostring, error, xpcall, select
local raw_setmetatable, raw_rawset, raw_loadstring = setmetatable, rawset, loadstring

-- "-CODE message" or "message" into the error table scripts see.
local function error_table(s)
  local code, msg
  if s:sub(1, 1) == '-' then
    local sp = s:find(' ', 1, true)
    if sp then
      code, msg = s:sub(2, sp - 1), s:sub(sp + 1)
    else
      code, msg = 'ERR', s:sub(2)
    end
  else
    code, msg = 'ERR', s
  end
  msg = msg:gsub('^[\r\n]+', ''):gsub('[\r\n]+$', '')
  return {err = code .. ' ' .. msg}
end

-- The error handler of every script run: errors become a table with the
-- message (`err`), and where in the user's code it was raised.
local function handler(err)
  local level, i = 2, nil
  repeat
    i = dbg.getinfo(level, 'nSl')
    level = level + 1
  until not i or (i.what ~= 'C' and i.source ~= '=sonde')
  if type(err) == 'userdata' then
    -- An error raised by a library written in Rust: its message with the
    -- caller's position, as luaL_error gives it.
    local s = tostring(err)
    local msg = s:match('^runtime error: (.*)$')
    if s:sub(1, 1) == '-' then
      -- An error reply the server itself raised in the script (killed,
      -- aborted in the debugger): its code and words, as Redis raises them.
      err = error_table(s)
    elseif msg then
      local cut = msg:find('\nstack traceback:', 1, true)
      if cut then msg = msg:sub(1, cut - 1) end
      if i then msg = i.short_src .. ':' .. i.currentline .. ': ' .. msg end
      err = msg
    end
  end
  if type(err) ~= 'table' then
    err = {err = 'ERR ' .. tostring(err)}
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end

local redis = {}

redis.call = raw.call_raising
redis.pcall = raw.call_protected
redis.setresp = raw.setresp
redis.set_repl = raw.set_repl
redis.acl_check_cmd = raw.acl_check_cmd
if mode == 'eval' then
  redis.replicate_commands = function() return true end
  redis.breakpoint = raw.breakpoint
  redis.debug = raw.debug
end
redis.sha1hex = raw.sha1hex
redis.log = raw.log
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION = raw.version
redis.REDIS_VERSION_NUM = raw.version_num
redis.error_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return error_table('wrong number or type of arguments')
  end
  if s:sub(1, 1) ~= '-' then s = '-' .. s end
  return error_table(s)
end
redis.status_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return error_table('wrong number or type of arguments')
  end
  return {ok = s}
end

G.redis = redis
G.math.random = raw.random
G.math.randomseed = raw.randomseed

-- Redis's pcall hands back the message of a redis.call error table.
local raw_pcall = pcall
local function fix_pcall(ok, ...)
  if not ok then
    local e = ...
    if type(e) == 'table' and type(e.err) == 'string' then
      return false, e.err
    end
    -- A library written in Rust failed: its message, as a string.
    if type(e) == 'userdata' then
      local s = tostring(e)
      if s:sub(1, 1) == '-' then return false, error_table(s).err end
      local msg = s:match('^runtime error: (.*)$')
      if msg then
        local cut = msg:find('\nstack traceback:', 1, true)
        return false, cut and msg:sub(1, cut - 1) or msg
      end
    end
  end
  return ok, ...
end
G.pcall = function(...)
  return fix_pcall(raw_pcall(...))
end

-- Binary chunks are refused (they can crash the interpreter).
G.loadstring = function(s, name)
  if type(s) == 'string' and s:sub(1, 1) == '\27' then
    return nil, 'binary chunks are not allowed'
  end
  return raw_loadstring(s, name)
end

local function readonly_error()
  error('Attempt to modify a readonly table', 2)
end
local protected = raw_setmetatable({}, {__mode = 'k'})
local function readonly(t)
  local mt = {__index = t, __newindex = readonly_error}
  local shown = raw_setmetatable({}, {__index = mt, __newindex = readonly_error, __metatable = false})
  mt.__metatable = shown
  local proxy = raw_setmetatable({}, mt)
  protected[proxy] = true
  protected[shown] = true
  return proxy, mt
end
G.setmetatable = function(t, m)
  if protected[t] then error('Attempt to modify a readonly table', 2) end
  return raw_setmetatable(t, m)
end
G.rawset = function(t, k, v)
  if protected[t] then error('Attempt to modify a readonly table', 2) end
  return raw_rawset(t, k, v)
end

for _, name in ipairs({'redis', 'cjson', 'cmsgpack', 'bit', 'struct', 'string', 'math', 'table', 'coroutine'}) do
  if G[name] ~= nil then
    G[name] = readonly(G[name])
  end
end

local function missing(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end

local env, env_mt = readonly(G)
G._G = env

-- The API a library sees while FUNCTION LOAD runs it: only
-- redis.register_function, redis.log and the version.
local load_api = {}
if mode == 'function' then
  local lib_redis = {
    register_function = raw.register_function,
    log = raw.log,
    LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
    REDIS_VERSION = raw.version,
    REDIS_VERSION_NUM = raw.version_num,
  }
  raw_setmetatable(lib_redis, {__index = missing})
  load_api.redis = readonly(lib_redis)
  raw_setmetatable(load_api, {__index = missing})
end
local function set_loading(on)
  env_mt.__index = on and load_api or G
end

raw_setmetatable(G, {__index = missing, __newindex = readonly_error})

local function run_load(f)
  return xpcall(f, handler)
end

-- The Lua debugger's view of the script's stack (SCRIPT DEBUG), called
-- from its line hook: frame 1 is the script's function the hook stopped
-- in (the first frame of the user's code above these helpers), then its
-- callers.
local function user_frame()
  local level = 3
  while true do
    local i = dbg.getinfo(level, 'S')
    if not i then return nil end
    if i.short_src:find('user_script', 1, true) then return level end
    level = level + 1
  end
end
local ldb = {}
-- The current frame's locals: an array of {name, value}.
function ldb.locals()
  local out, level = {}, user_frame()
  if not level then return out end
  local n = 1
  while true do
    local name, value = dbg.getlocal(level - 1, n)
    if name == nil then break end
    out[#out + 1] = {name, value}
    n = n + 1
  end
  return out
end
-- The first local called `name`, from the current frame outwards:
-- found, value.
function ldb.find(name)
  local level = user_frame()
  if not level then return false end
  level = level - 1
  while dbg.getinfo(level, 'S') do
    local n = 1
    while true do
      local k, v = dbg.getlocal(level, n)
      if k == nil then break end
      if k == name then return true, v end
      n = n + 1
    end
    level = level + 1
  end
  return false
end
-- The backtrace: an array of {function name, current line} of the
-- frames in the user's code, innermost first.
function ldb.frames()
  local out, level = {}, user_frame()
  if not level then return out end
  while true do
    local i = dbg.getinfo(level - 1, 'Snl')
    if not i then break end
    if i.short_src:find('user_script', 1, true) then
      out[#out + 1] = {i.name or 'top level', i.currentline}
    end
    level = level + 1
  end
  return out
end

return env, handler, run_load, set_loading, ldb
