"""Speech engines behind one small async interface."""
