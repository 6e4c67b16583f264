"""The staff dashboard: server-rendered pages under /dashboard, login at /login."""
