-- POST /v1/sign, scheme ecdsa-secp256k1, a 32-byte digest that changes per request.
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"scheme":"ecdsa-secp256k1","digest":"%064x"}', counter)
  return wrk.format("POST", "/v1/sign", {["Content-Type"] = "application/json"}, body)
end
