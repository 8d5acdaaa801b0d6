"""What every sandbox shares: the HTTP server, tokens, faults, and the order world that channel and ERP sandboxes render."""
