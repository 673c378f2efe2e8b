"""In-process fakes of external services (Twilio, Telegram) for tests."""
