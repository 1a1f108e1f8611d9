"""Home for commands added by later modules (compare, gate, review…); import registers them."""
from . import cli_gate  # noqa: F401,E402  (compare, gate)
from . import cli_review  # noqa: E402,F401  (qaeval review export|import)
