"""Officer, supervisor and technician screens (behind a staff login)."""
