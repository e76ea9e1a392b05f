"""One module per screen: layout and texts only."""
