"""Label templates, one TOML per label size (read by ``app.labels``)."""
