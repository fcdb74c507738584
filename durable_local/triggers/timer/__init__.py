"""Timer trigger: NCRONTAB and TimeSpan schedules, driven by the host clock."""
