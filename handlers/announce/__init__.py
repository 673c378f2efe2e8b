"""Announcements (*pengumuman*): `/umumkan`, its preview, scheduling and reports."""
