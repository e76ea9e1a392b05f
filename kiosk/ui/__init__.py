"""The PySide6 kiosk shell. Views hold layout only; controllers own slots; flows are Qt-free."""
