-- POST /v1/sign, scheme bip340, a 32-byte message (hex) that changes per request.
-- Responses other than 200 are counted as errors (wrk only counts non-2xx/3xx itself).
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"scheme":"bip340","message":"%064x"}', counter)
  return wrk.format("POST", "/v1/sign", {["Content-Type"] = "application/json"}, body)
end
