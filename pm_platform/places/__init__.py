"""The place tree (district → street → community office → compound → building → unit),
owners and their units, property firms and contracts, and who may see which part."""
