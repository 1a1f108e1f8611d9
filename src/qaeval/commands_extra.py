"""Home for commands added by later modules (compare, gate, review…); import registers them."""
