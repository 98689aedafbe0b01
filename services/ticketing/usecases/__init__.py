"""The ticketing use cases, one module per kind of work, each a set of plain functions
taking a connection (the transaction is theirs) and the request."""
