"""`python -m qaeval.testing`: run the loopback Chat Completions server (see chat_server.main)."""

import sys

from .chat_server import main

sys.exit(main())
