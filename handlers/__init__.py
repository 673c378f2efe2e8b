"""Platform-neutral features: plain async functions from an Incoming message to replies."""
