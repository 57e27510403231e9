"""What gunicorn serves in the benchmark: the project's own `wsgi:app` (README, Production), unchanged,
behind one pass-through.

The register is limited to 120 requests a minute per client address; a load generator on one
address would measure the 429 page after two seconds. When a request carries `X-Bench-Client`
(only the register's load test sends it) that value becomes the client address, so the load looks
like thousands of visitors and the rate limiter still runs (and costs) what it does in production.
Requests without the header are passed on untouched.
"""
from wsgi import app as _app


def app(environ, start_response):
    client = environ.get("HTTP_X_BENCH_CLIENT")
    if client:
        environ["REMOTE_ADDR"] = client
    return _app(environ, start_response)
