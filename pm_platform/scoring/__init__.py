"""Service scores: schemes, scorecards, spot checks, red/black lists, rewards, dossiers."""
