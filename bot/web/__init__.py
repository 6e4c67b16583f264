"""HTTP side of the service: web chat, webhooks, dashboard, health."""
