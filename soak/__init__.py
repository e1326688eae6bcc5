"""The project's soak (``make soak``): every fault kind, credential rotation, every outcome checked."""
