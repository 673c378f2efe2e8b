"""Saling promosi: members promoting each other's products, fairly and visibly."""
