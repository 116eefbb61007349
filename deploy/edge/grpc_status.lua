-- A gRPC answer from the edge itself, for what it refuses: HEADERS ending
-- the stream with content-type application/grpc, grpc-status and
-- grpc-message (a "Trailers-Only" response), which every gRPC client reads
-- as that status. HAProxy's own `http-request return` cannot set a
-- content-type without a body, and gRPC clients treat a reply without it
-- as a transport error (UNKNOWN), not as the status.
--
-- The rule that refuses sets txn.grpc_status, txn.grpc_message and,
-- optionally, txn.grpc_pushback_ms (grpc-retry-pushback-ms).
core.register_service("grpc_status", "http", function(applet)
  applet:set_status(200)
  applet:add_header("content-type", "application/grpc")
  applet:add_header("grpc-status", applet:get_var("txn.grpc_status") or "13")
  applet:add_header("grpc-message",
                    applet:get_var("txn.grpc_message") or "refused by the edge")
  local pushback = applet:get_var("txn.grpc_pushback_ms")
  if pushback then
    applet:add_header("grpc-retry-pushback-ms", pushback)
  end
  applet:start_response()
end)
