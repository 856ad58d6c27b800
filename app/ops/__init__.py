"""Running the app for real: readiness checks (``health``), the worker's
heartbeat (``heartbeat``), structured logs with request ids (``logs``),
Prometheus metrics (``metrics``) and error reporting (``reporting``)."""
