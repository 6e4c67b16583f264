"""Scheduled work: APScheduler is only the clock; what is due lives in `due_work` rows."""
