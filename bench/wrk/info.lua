-- GET /v1/info (a cached body, signed per response).
request = function()
  return wrk.format("GET", "/v1/info")
end
