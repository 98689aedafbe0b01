"""SQL kept as SQL, one module per aggregate; each returns typed rows, never a Record."""
