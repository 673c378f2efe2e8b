"""Community events: posyandu days, bazaars and meetings, with RSVP and reminders."""
