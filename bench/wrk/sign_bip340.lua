-- POST /v1/sign, scheme bip340, a 32-byte message (hex) that changes per request.
-- wrk counts answers with a status of 400 or more as errors (report.lua prints them).
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"scheme":"bip340","message":"%064x"}', counter)
  return wrk.format("POST", "/v1/sign", {["Content-Type"] = "application/json"}, body)
end
