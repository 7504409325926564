"""What the running platform tells its operators (issue 18 point 7): logs with a request id on
every line (`context`, `logs`), Prometheus metrics (`metrics`), and errors sent to Sentry
(`errors`). The API's middleware (`ofair_app/api/observe.py`) binds each request."""
