"""Templates and word pools for the generated corpus (Python data: importing them does no I/O)."""
