# shared helpers, not a competition
