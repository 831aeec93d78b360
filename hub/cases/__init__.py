"""The case: one per reported URL while it is open, followed by every hotline that
reported it, moved along the status graph by the hotline it is referred to."""
