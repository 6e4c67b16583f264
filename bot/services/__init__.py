"""Domain operations the engine applies for flows' effects; each runs inside the caller's transaction."""
