"""Work orders: residents' reports, 12345 tickets and inspection findings, handled to closure."""
