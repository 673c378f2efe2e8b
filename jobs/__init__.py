"""Work the bot starts itself: the outbox delivery, scheduled jobs, and their wiring."""
