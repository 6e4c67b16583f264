"""Getting outbox messages to the platforms: channel senders, the outbox worker, rate limits."""
