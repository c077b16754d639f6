-- wrk's side of bench/orders.py (`--client wrk`): customers placing orders as fast as
-- they can, each order with an Idempotency-Key of its own, from a client that costs the
-- two cores next to nothing.
--
--   wrk --threads 2 --connections 16 --duration 20s --timeout 30s --latency \
--       --script bench/orders.lua http://127.0.0.1:8003/api/v1/orders/ -- ORDERS.txt 2
--
-- ORDERS.txt, written by bench/orders.py, is read as data in each thread's init, one
-- `name value` a line: `address` the shipping address as JSON, `hot` and `cold` the
-- product ids, `customer` one customer's Authorization header (repeated); the number
-- after it is wrk's --threads, which a thread's own environment does not know.
--
-- An order is built as customer_loop builds it: 1-2 distinct cold products, with
-- probability 0.5 one hot product added, 1-3 units of each, in the shape of
-- shop_testing.shop.order_body. wrk does not tell request() which connection it writes
-- to, so a customer cannot own a connection as it owns a thread in the Python client:
-- each thread takes every n-th customer and turns to the next one at each request, which
-- with a thread's share of the connections keeps about one order of each customer in
-- flight, and gives each customer the same share of the orders.
--
-- done() prints one JSON line that orders.py reads: the answers by status over all
-- threads, the requests, the duration and the latency's p50 and p99 (µs), and wrk's
-- socket errors.

local threads = {}
local orders, turn, key_prefix

function setup(thread)
   table.insert(threads, thread)
   thread:set("id", #threads)
end

local function random_bytes(count)
   local source = assert(io.open("/dev/urandom", "rb"))
   local bytes = source:read(count)
   source:close()
   return bytes
end

-- This thread's part of ORDERS.txt: the address, every product, and its customers.
local function read_orders(path, thread_count)
   local found = { hot = {}, cold = {}, customers = {} }
   local seen = 0
   for line in io.lines(path) do
      local name, value = line:match("^(%S+) (.*)$")
      if name == "address" then
         found.address = value
      elseif name == "hot" or name == "cold" then
         for product_id in value:gmatch("%d+") do
            table.insert(found[name], tonumber(product_id))
         end
      elseif name == "customer" then
         seen = seen + 1
         -- `id`, the thread's number from 1, is the global setup() gave it.
         if seen % thread_count == id % thread_count then
            table.insert(found.customers, value)
         end
      end
   end
   assert(found.address and #found.hot > 0 and #found.customers > 0, "incomplete " .. path)
   return found
end

function init(args)
   orders = read_orders(args[1], tonumber(args[2]))
   -- A global: done() reads it through thread:get.
   statuses = {}
   turn = 0
   -- Keys never repeat, across threads and runs: 64 random bits a thread, and a counter.
   -- The contract asks for 1 to 255 printable ASCII characters, nothing more.
   local seed = random_bytes(8)
   key_prefix = seed:gsub(".", function(byte) return ("%02x"):format(byte:byte()) end)
   math.randomseed(tonumber(key_prefix:sub(1, 8), 16))
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
end

local function order_body()
   local cold = orders.cold
   local first = math.random(#cold)
   local chosen = { cold[first] }
   if math.random(1, 2) == 2 then
      -- Another cold product, never the first: an order names a product once.
      local second = math.random(#cold - 1)
      chosen[2] = cold[second >= first and second + 1 or second]
   end
   if math.random() < 0.5 then
      chosen[#chosen + 1] = orders.hot[math.random(#orders.hot)]
   end
   local items = {}
   for index, product_id in ipairs(chosen) do
      items[index] = ('{"product_id": %d, "quantity": %d}'):format(product_id, math.random(3))
   end
   return ('{"items": [%s], "shipping_address": %s}'):format(
      table.concat(items, ", "), orders.address)
end

function request()
   turn = turn + 1
   local customers = orders.customers
   wrk.headers["Authorization"] = customers[turn % #customers + 1]
   wrk.headers["Idempotency-Key"] = ("wrk-%s-%d"):format(key_prefix, turn)
   return wrk.format(nil, nil, nil, order_body())
end

function response(status)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency)
   local totals = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         totals[status] = (totals[status] or 0) + count
      end
   end
   local answers = {}
   for status, count in pairs(totals) do
      table.insert(answers, ('"%d": %d'):format(status, count))
   end
   local errors = summary.errors
   io.write(('{"statuses": {%s}, "requests": %d, "duration_us": %d, '
      .. '"latency_us": {"p50": %d, "p99": %d}, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n'):format(
      table.concat(answers, ", "), summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(99),
      errors.connect, errors.read, errors.write, errors.timeout))
end
