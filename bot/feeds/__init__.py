"""Topic feeds: discovering, parsing and polling feeds, and the deliveries they produce."""
